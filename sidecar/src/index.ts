// Public surface of @llama-orch/sidecar.
export { startSidecar } from './sidecar.js';
export type { SidecarHandle, SidecarOptions, SidecarStatus } from './sidecar.js';
export type { ExternalEngineOptions, SupervisedEngineOptions } from './engine/startup.js';
export type { SelfTestStep } from './engine/self-test.js';
export { adapterModule, knownEngines } from './adapters/registry.js';
export type * from './adapters/types.js';
export { SseStreamWriter } from './sse/stream-writer.js';
export { CANARY_PROMPT, CANARY_MAX_TOKENS } from './engine/canary.js';
export { ModelDigestMismatchError, sha256File, verifyModelDigest } from './engine/digest.js';
