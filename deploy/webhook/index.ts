// @llama-orch/webhook: the sidecar-injection mutating webhook (ORCH-3111..3114).
export { commandLine, llamaCppDeterminismFindings } from './engine-args.js';
export type { ArgFinding } from './engine-args.js';
export {
  DEFAULT_SIDECAR_COMMAND,
  decide,
  deviceMask,
  gpuCount,
  sidecarContainer,
} from './inject.js';
export type { Decision, InjectorConfig } from './inject.js';
export * from './labels.js';
export type * from './pod-types.js';
export { patchCaBundle } from './ca-bundle.js';
export { buildWebhookServer, review } from './server.js';
export { selfSignedServingTls, serviceDnsNames } from './tls.js';
export type { ServingTls } from './tls.js';
export { startWebhook } from './webhook.js';
export type { StartWebhookOptions, WebhookHandle } from './webhook.js';
