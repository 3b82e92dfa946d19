// Envoy bootstrap for the llama-orch edge (ORCH-4001..4004).
//
// One public listener. `GET /v1/tasks/{id}/stream` runs the ext_proc filter (request headers
// only) against the placement service, which answers with `x-gateway-destination-endpoint`; an
// ORIGINAL_DST cluster then forwards the unchanged request to that sidecar. Every other API path
// goes to the gateway's REST port with ext_proc disabled per route. Facts behind each knob:
// /work/shared/notes/envoy-ext-proc.md. The parts live beside this file, one job each.
import { stringify } from 'yaml';
import { extProcCluster, replicasCluster, restCluster } from './clusters.js';
import { edgeHeadersFilter, extProcFilter, routerFilter } from './http-filters.js';
import { accessLog, localReplyConfig } from './local-reply.js';
import { resolveEnvoyOptions } from './options.js';
import type { EnvoyBootstrapOptions, ResolvedEnvoyOptions } from './options.js';
import { routeConfig } from './routes.js';
import { hcmTracing, otlpCluster } from './tracing.js';
import { socketAddress } from './yaml-parts.js';

export { CORRELATION_HEADER, DESTINATION_HEADER, LEASE_HEADER } from './names.js';
export { ENVOY_DEFAULTS, resolveEnvoyOptions } from './options.js';
export type {
  EnvoyBootstrapOptions,
  EnvoyTracingOptions,
  ResolvedEnvoyOptions,
} from './options.js';

/** The bootstrap as a plain object (handy for tests and for callers that post-process it). */
export function buildEnvoyBootstrap(options: EnvoyBootstrapOptions = {}): Record<string, unknown> {
  const o = resolveEnvoyOptions(options);
  const clusters = [extProcCluster(o), restCluster(o), replicasCluster(o)];
  if (o.tracing) clusters.push(otlpCluster(o.tracing, o.connectTimeoutMs));
  return {
    // File-based SDS (the ext_proc client certificate, ORCH-3143) needs a node identity.
    ...(o.extProcTls ? { node: { id: 'llama-orch-edge', cluster: 'llama-orch-edge' } } : {}),
    admin: { address: socketAddress(o.bindAddress, o.adminPort) },
    static_resources: { listeners: [publicListener(o)], clusters },
  };
}

/** Render the bootstrap as YAML for `envoy -c`. */
export function renderEnvoyBootstrap(options: EnvoyBootstrapOptions = {}): string {
  return stringify(buildEnvoyBootstrap(options), { lineWidth: 0, aliasDuplicateObjects: false });
}

function publicListener(o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    name: 'public',
    address: socketAddress(o.bindAddress, o.listenPort),
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: httpConnectionManager(o),
          },
        ],
      },
    ],
  };
}

function httpConnectionManager(o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    '@type':
      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: 'public',
    codec_type: 'AUTO',
    // ORCH-3144: a method Envoy's HTTP/1 codec does not know (QUERY, ...) reaches the REST app,
    // which answers 405 with Allow for a declared path, instead of the codec's bare 400.
    http_protocol_options: { allow_custom_methods: true },
    route_config: routeConfig(o),
    http_filters: [edgeHeadersFilter(), extProcFilter(o), routerFilter()],
    local_reply_config: localReplyConfig(),
    ...(o.tracing ? { tracing: hcmTracing(o.tracing) } : {}),
    ...(o.accessLog ? { access_log: [accessLog()] } : {}),
  };
}
