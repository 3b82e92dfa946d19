// Upstream clusters: placement's ext_proc (gRPC), its REST port, and the replicas, whose hosts
// come from the header placement writes (ORIGINAL_DST).
import { extProcTransportSocket } from './ext-proc-tls.js';
import { CLUSTER_EXT_PROC, CLUSTER_REPLICAS, CLUSTER_REST, DESTINATION_HEADER } from './names.js';
import type { ResolvedEnvoyOptions } from './options.js';
import { durationMs, staticEndpoint } from './yaml-parts.js';

export function extProcCluster(o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    name: CLUSTER_EXT_PROC,
    type: 'STATIC',
    connect_timeout: durationMs(o.connectTimeoutMs),
    // ext_proc is gRPC: the cluster must speak HTTP/2 (grpc-js serves h2c).
    typed_extension_protocol_options: http2Only(),
    circuit_breakers: wideBreakers(),
    load_assignment: staticEndpoint(CLUSTER_EXT_PROC, o.gatewayHost, o.extProcPort),
    // ORCH-3142: placement accepts only clients with a certificate of its CA.
    ...(o.extProcTls
      ? { transport_socket: extProcTransportSocket(o.extProcTls, o.gatewayHost) }
      : {}),
  };
}

/**
 * How long Envoy keeps an idle upstream HTTP/1.1 connection to placement's REST port or a sidecar.
 * Both servers are fastify, which closes a connection idle for 72 s (its keepAliveTimeout default);
 * Envoy's own default is an hour. Envoy must close first: a request written on a connection the
 * server is closing at that moment fails `upstream_reset_before_response_started
 * {connection_termination}`, a 503 for the client. bench:paths hit it with 64 replicas once the
 * replicas cluster kept its hosts (and their connections) for 5 minutes.
 */
export const UPSTREAM_IDLE_TIMEOUT_MS = 60_000;

export function restCluster(o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    name: CLUSTER_REST,
    type: 'STATIC',
    connect_timeout: durationMs(o.connectTimeoutMs),
    typed_extension_protocol_options: http1WithIdleTimeout(),
    load_assignment: staticEndpoint(CLUSTER_REST, o.gatewayHost, o.restPort),
  };
}

export function replicasCluster(o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    name: CLUSTER_REPLICAS,
    // Hosts come from the header placement wrote (literal ip:port; ORCH-4003).
    type: 'ORIGINAL_DST',
    lb_policy: 'CLUSTER_PROVIDED',
    connect_timeout: durationMs(o.connectTimeoutMs),
    original_dst_lb_config: { use_http_header: true, http_header_name: DESTINATION_HEADER },
    // A host (and its warm keep-alive connections) is dropped after this long unused; the 5 s
    // default made a replica picked less often than that pay a new connection on its stream.
    cleanup_interval: durationMs(300_000),
    typed_extension_protocol_options: http1WithIdleTimeout(),
    // Long-lived streams: the 1024 defaults would cap concurrency far below a fleet's.
    circuit_breakers: wideBreakers(),
  };
}

function http1WithIdleTimeout(): Record<string, unknown> {
  return {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      common_http_protocol_options: { idle_timeout: durationMs(UPSTREAM_IDLE_TIMEOUT_MS) },
      explicit_http_config: { http_protocol_options: {} },
    },
  };
}

function http2Only(): Record<string, unknown> {
  return {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: {} },
    },
  };
}

function wideBreakers(): Record<string, unknown> {
  return {
    thresholds: [
      {
        priority: 'DEFAULT',
        max_connections: 100_000,
        max_pending_requests: 100_000,
        max_requests: 100_000,
      },
    ],
  };
}
