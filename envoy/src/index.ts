export {
  CORRELATION_HEADER,
  DESTINATION_HEADER,
  ENVOY_DEFAULTS,
  LEASE_HEADER,
  buildEnvoyBootstrap,
  renderEnvoyBootstrap,
  resolveEnvoyOptions,
} from './bootstrap.js';
export type {
  EnvoyBootstrapOptions,
  EnvoyTracingOptions,
  ResolvedEnvoyOptions,
} from './bootstrap.js';
export { envoyOptionsFromListen } from './from-config.js';
export type { ListenConfig } from './from-config.js';
export { renderExtProcSdsFiles } from './ext-proc-tls.js';
export type { ExtProcTlsOptions } from './ext-proc-tls.js';
