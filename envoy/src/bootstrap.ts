// Envoy bootstrap for the llama-orch edge (ORCH-4001..4004).
//
// One public listener. `GET /v1/tasks/{id}/stream` runs the ext_proc filter (request headers
// only) against the placement service, which answers with `x-gateway-destination-endpoint`; an
// ORIGINAL_DST cluster then forwards the unchanged request to that sidecar. Every other API path
// goes to the gateway's REST port with ext_proc disabled per route. Facts behind each knob:
// /work/shared/notes/envoy-ext-proc.md.
import { stringify } from 'yaml';

export const DESTINATION_HEADER = 'x-gateway-destination-endpoint';
export const LEASE_HEADER = 'x-orch-lease-id';
export const CORRELATION_HEADER = 'x-correlation-id';

export interface EnvoyBootstrapOptions {
  /** Address every listener binds to (loopback by default). */
  readonly bindAddress?: string;
  /** Public listener port (default 8080). */
  readonly listenPort?: number;
  /** Admin port (default 9901). */
  readonly adminPort?: number;
  /** Host of the gateway (REST and ext_proc); must be a literal IP for STATIC clusters. */
  readonly gatewayHost?: string;
  /** Gateway REST port (default 8081). */
  readonly restPort?: number;
  /** Gateway ext_proc gRPC port (default 9002). */
  readonly extProcPort?: number;
  /** How long ext_proc may hold a queued stream request before Envoy gives up (default 300 s). */
  readonly extProcMessageTimeoutMs?: number;
  /** Idle timeout on the stream route; must exceed the hold time (default hold + 60 s). */
  readonly streamIdleTimeoutMs?: number;
  /** Timeout of REST calls to the gateway (default 30 s). */
  readonly restTimeoutMs?: number;
  /** Upstream connect timeout for every cluster (default 1 s, so fail-closed is prompt). */
  readonly connectTimeoutMs?: number;
  /** Write one JSON access-log line per request to stdout (default false). */
  readonly accessLog?: boolean;
}

export type ResolvedEnvoyOptions = Required<EnvoyBootstrapOptions>;

export const ENVOY_DEFAULTS: Omit<ResolvedEnvoyOptions, 'streamIdleTimeoutMs'> = {
  bindAddress: '127.0.0.1',
  listenPort: 8080,
  adminPort: 9901,
  gatewayHost: '127.0.0.1',
  restPort: 8081,
  extProcPort: 9002,
  extProcMessageTimeoutMs: 300_000,
  restTimeoutMs: 30_000,
  connectTimeoutMs: 1_000,
  accessLog: false,
};

const EXT_PROC_FILTER = 'envoy.filters.http.ext_proc';
const CLUSTER_EXT_PROC = 'placement_ext_proc';
const CLUSTER_REST = 'gateway_rest';
const CLUSTER_REPLICAS = 'replicas';
// Only the path shape we route; the query string is not part of a safe_regex path match.
const STREAM_PATH_REGEX = '^/v1/tasks/[^/]+/stream$';
const MAX_HOLD_MS = 3_600_000;
const EXT_PROC_ERROR_STATUS = 502; // Envoy's ceiling for message_timeout.

export function resolveEnvoyOptions(options: EnvoyBootstrapOptions = {}): ResolvedEnvoyOptions {
  const merged = { ...ENVOY_DEFAULTS, ...stripUndefined(options) };
  const hold = merged.extProcMessageTimeoutMs;
  if (!Number.isInteger(hold) || hold <= 0 || hold > MAX_HOLD_MS) {
    throw new RangeError(`extProcMessageTimeoutMs must be an integer in (0, ${MAX_HOLD_MS}]`);
  }
  const streamIdleTimeoutMs = options.streamIdleTimeoutMs ?? hold + 60_000;
  if (streamIdleTimeoutMs <= hold) {
    // A shorter idle timeout would cut held requests before placement answers.
    throw new RangeError('streamIdleTimeoutMs must exceed extProcMessageTimeoutMs');
  }
  for (const key of ['listenPort', 'adminPort', 'restPort', 'extProcPort'] as const) {
    const port = merged[key];
    if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
      throw new RangeError(`${key} must be a TCP port, got ${String(port)}`);
    }
  }
  return { ...merged, streamIdleTimeoutMs };
}

/** The bootstrap as a plain object (handy for tests and for callers that post-process it). */
export function buildEnvoyBootstrap(options: EnvoyBootstrapOptions = {}): Record<string, unknown> {
  const o = resolveEnvoyOptions(options);
  return {
    admin: { address: socketAddress(o.bindAddress, o.adminPort) },
    static_resources: {
      listeners: [publicListener(o)],
      clusters: [extProcCluster(o), restCluster(o), replicasCluster(o)],
    },
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
    route_config: routeConfig(o),
    http_filters: [
      edgeHeadersFilter(),
      extProcFilter(o),
      {
        name: 'envoy.filters.http.router',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
        },
      },
    ],
    local_reply_config: localReplyConfig(),
    ...(o.accessLog ? { access_log: [accessLog()] } : {}),
  };
}

function routeConfig(o: ResolvedEnvoyOptions): Record<string, unknown> {
  const extProcOff = {
    [EXT_PROC_FILTER]: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute',
      disabled: true,
    },
  };
  const toRest = { cluster: CLUSTER_REST, timeout: durationMs(o.restTimeoutMs) };
  return {
    name: 'llama_orch',
    virtual_hosts: [
      {
        name: 'api',
        domains: ['*'],
        routes: [
          {
            // ORCH-4002: ext_proc on, route timeout 0 (streams are long), idle timeout above
            // the hold time so a queued request is not cut while placement holds it.
            name: 'task_stream',
            match: {
              safe_regex: { regex: STREAM_PATH_REGEX },
              headers: [{ name: ':method', string_match: { exact: 'GET' } }],
            },
            route: {
              cluster: CLUSTER_REPLICAS,
              timeout: '0s',
              idle_timeout: durationMs(o.streamIdleTimeoutMs),
            },
          },
          {
            name: 'rest_v1',
            match: { prefix: '/v1/' },
            route: toRest,
            typed_per_filter_config: extProcOff,
          },
          {
            name: 'metrics',
            match: { path: '/metrics' },
            route: toRest,
            typed_per_filter_config: extProcOff,
          },
          {
            name: 'not_found',
            match: { prefix: '/' },
            direct_response: {
              status: 404,
              body: {
                inline_string: JSON.stringify({
                  code: 'NOT_FOUND',
                  message: 'no such route',
                  retriable: false,
                }),
              },
            },
            typed_per_filter_config: extProcOff,
          },
        ],
      },
    ],
  };
}

// Runs before ext_proc. ORCH-4003: removes client copies of the routing and lease headers, so the
// only values the router and the ORIGINAL_DST cluster can see are the ones placement set
// (route-level request_headers_to_remove would run in the router, after ext_proc, and strip
// placement's too). ORCH-2052: a request without X-Correlation-Id gets Envoy's x-request-id
// (a UUIDv4), so gateway, sidecar and Envoy's own replies all echo the same id.
function edgeHeadersFilter(): Record<string, unknown> {
  return {
    name: 'envoy.filters.http.header_mutation',
    typed_config: {
      '@type':
        'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
      mutations: {
        request_mutations: [
          { remove: DESTINATION_HEADER },
          { remove: LEASE_HEADER },
          {
            append: {
              header: { key: CORRELATION_HEADER, value: '%REQ(X-REQUEST-ID)%' },
              append_action: 'ADD_IF_ABSENT',
            },
          },
        ],
      },
    },
  };
}

function extProcFilter(o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    name: EXT_PROC_FILTER,
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
      grpc_service: { envoy_grpc: { cluster_name: CLUSTER_EXT_PROC } },
      // ORCH-4004: fail closed; placement unreachable never yields an unrouted request.
      failure_mode_allow: false,
      // A status placement itself never sends, so the local-reply mapper can tell Envoy's own
      // ext_proc failures from placement's ImmediateResponses.
      status_on_error: { code: EXT_PROC_ERROR_STATUS },
      // ORCH-4005: the reply to request headers is held while the task waits in the queue.
      message_timeout: durationMs(o.extProcMessageTimeoutMs),
      processing_mode: {
        request_header_mode: 'SEND',
        response_header_mode: 'SKIP',
        request_body_mode: 'NONE',
        response_body_mode: 'NONE',
        request_trailer_mode: 'SKIP',
        response_trailer_mode: 'SKIP',
      },
    },
  };
}

// Envoy's own error replies (placement down, message timeout, sidecar unreachable) become a
// typed ErrorEnvelope (ORCH-2006, ORCH-4004). Replies placement sends itself (404, 200 SSE, 429)
// are not 5xx Envoy failures and pass through unchanged.
function localReplyConfig(): Record<string, unknown> {
  const envelope = (
    code: string,
    message: string,
    retriable: boolean,
  ): Record<string, unknown> => ({
    body_format_override: {
      json_format: {
        code,
        message,
        retriable,
        correlation_id: '%REQ(X-CORRELATION-ID)%',
      },
      content_type: 'application/json',
      omit_empty_values: true,
    },
    headers_to_add: [
      {
        header: { key: CORRELATION_HEADER, value: '%REQ(X-CORRELATION-ID)%' },
        append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
      },
    ],
  });
  return {
    mappers: [
      {
        // No usable upstream: sidecar or gateway REST unreachable, overflow, or no route.
        filter: { response_flag_filter: { flags: ['UF', 'UH', 'URX', 'UO', 'NR'] } },
        status_code: 503,
        ...envelope('POOL_UNAVAILABLE', 'upstream unavailable: %RESPONSE_CODE_DETAILS%', true),
      },
      {
        // ext_proc message timeout → Envoy's 504.
        filter: {
          status_code_filter: {
            comparison: {
              op: 'EQ',
              value: { default_value: 504, runtime_key: 'orch.local_reply.timeout' },
            },
          },
        },
        status_code: 503,
        ...envelope('POOL_UNAVAILABLE', 'placement timed out: %RESPONSE_CODE_DETAILS%', true),
      },
      {
        // ext_proc stream failed (placement down or reset) → status_on_error.
        filter: {
          status_code_filter: {
            comparison: {
              op: 'EQ',
              value: {
                default_value: EXT_PROC_ERROR_STATUS,
                runtime_key: 'orch.local_reply.error',
              },
            },
          },
        },
        status_code: 503,
        ...envelope('POOL_UNAVAILABLE', 'placement unavailable: %RESPONSE_CODE_DETAILS%', true),
      },
    ],
  };
}

function accessLog(): Record<string, unknown> {
  return {
    name: 'envoy.access_loggers.stdout',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
      log_format: {
        json_format: {
          path: '%REQ(:PATH)%',
          method: '%REQ(:METHOD)%',
          status: '%RESPONSE_CODE%',
          details: '%RESPONSE_CODE_DETAILS%',
          upstream: '%UPSTREAM_HOST%',
          duration_ms: '%DURATION%',
          correlation_id: '%REQ(X-CORRELATION-ID)%',
        },
      },
    },
  };
}

function extProcCluster(o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    name: CLUSTER_EXT_PROC,
    type: 'STATIC',
    connect_timeout: durationMs(o.connectTimeoutMs),
    // ext_proc is gRPC: the cluster must speak HTTP/2 (grpc-js serves h2c).
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    circuit_breakers: wideBreakers(),
    load_assignment: staticEndpoint(CLUSTER_EXT_PROC, o.gatewayHost, o.extProcPort),
  };
}

function restCluster(o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    name: CLUSTER_REST,
    type: 'STATIC',
    connect_timeout: durationMs(o.connectTimeoutMs),
    load_assignment: staticEndpoint(CLUSTER_REST, o.gatewayHost, o.restPort),
  };
}

function replicasCluster(o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    name: CLUSTER_REPLICAS,
    // Hosts come from the header placement wrote (literal ip:port; ORCH-4003).
    type: 'ORIGINAL_DST',
    lb_policy: 'CLUSTER_PROVIDED',
    connect_timeout: durationMs(o.connectTimeoutMs),
    original_dst_lb_config: { use_http_header: true, http_header_name: DESTINATION_HEADER },
    // Long-lived streams: the 1024 defaults would cap concurrency far below a fleet's.
    circuit_breakers: wideBreakers(),
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

function staticEndpoint(name: string, host: string, port: number): Record<string, unknown> {
  return {
    cluster_name: name,
    endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }],
  };
}

function socketAddress(address: string, port: number): Record<string, unknown> {
  return { socket_address: { address, port_value: port } };
}

function durationMs(ms: number): string {
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
