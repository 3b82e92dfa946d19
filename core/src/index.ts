// The only public surface of @llama-orch/core.
export { Scheduler } from './scheduler.js';
export { CoreError, ERROR_TABLE, ERROR_CODES, coreError, isErrorCode } from './errors.js';
export type { ErrorCode, ErrorEnvelope, ErrorSpec, CoreErrorOptions } from './errors.js';
export { injectSeed, resolveSeed } from './seed.js';
export { estimatePromptTokens } from './admission/estimate.js';
export { replicaSetKey } from './scheduling/replica-registry.js';
export { canaryBucket } from './scheduling/model-transition.js';
export { DEFAULT_QUEUES } from './config.js';
export { ENGINES, PRIORITIES } from './types.js';
export type * from './types.js';
export type {
  Candidate,
  Filter,
  Picker,
  PlacementContext,
  PlacementHooks,
  PlacementProfile,
  PluginFactory,
  PluginKind,
  Scorer,
  ScoredCandidate,
  WeightedScorer,
} from './scheduling/plugins.js';
export { BUILTIN_PLUGINS, defaultProfile } from './scheduling/register.js';
export { place } from './scheduling/placer.js';
export { blockHashes } from './scheduling/scorers/prefix-cache.js';
