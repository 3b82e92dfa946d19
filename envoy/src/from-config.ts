// The `listen` block of the orchestrator config (contracts' Config.listen) → bootstrap options.
// Structural type, so this package needs no dependency on contracts.
import type { EnvoyBootstrapOptions } from './bootstrap.js';

export interface ListenConfig {
  readonly host: string;
  readonly envoy_port: number;
  readonly envoy_admin_port: number;
  readonly rest_port: number;
  readonly ext_proc_port: number;
}

export function envoyOptionsFromListen(listen: ListenConfig): EnvoyBootstrapOptions {
  return {
    bindAddress: listen.host,
    gatewayHost: listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host,
    listenPort: listen.envoy_port,
    adminPort: listen.envoy_admin_port,
    restPort: listen.rest_port,
    extProcPort: listen.ext_proc_port,
  };
}
