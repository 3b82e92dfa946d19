// Pieces of the bare engine + edge setup the smoke tests use to prove the binaries work on their
// own. The full local stack (`npm run up`) lives in test-harness/src/stack/.
export { ENVOY_LOCAL_FLAGS, renderLoopbackEnvoy, validateEnvoyConfig } from './envoy-loopback.js';
export type { LoopbackEnvoyOptions } from './envoy-loopback.js';
export { llamaServerArgs, probeLlamaFlags } from './llama-args.js';
export type { LlamaArgs, LlamaArgsOptions } from './llama-args.js';
