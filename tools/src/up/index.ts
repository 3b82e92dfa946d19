export { ENVOY_LOCAL_FLAGS, renderLoopbackEnvoy, validateEnvoyConfig } from './envoy-loopback.js';
export type { LoopbackEnvoyOptions } from './envoy-loopback.js';
export { llamaServerArgs, probeLlamaFlags } from './llama-args.js';
export type { LlamaArgs, LlamaArgsOptions } from './llama-args.js';
export { SERVICES, portsFromEnv } from './services.js';
export type { Ports, Service, UpContext } from './services.js';
