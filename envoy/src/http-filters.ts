// The HTTP filter chain before the router: edge header hygiene, then ext_proc placement.
import {
  CLUSTER_EXT_PROC,
  CORRELATION_HEADER,
  DESTINATION_HEADER,
  EXT_PROC_ERROR_STATUS,
  EXT_PROC_FILTER,
  LEASE_HEADER,
  RESUME_HEADER,
} from './names.js';
import type { ResolvedEnvoyOptions } from './options.js';
import { durationMs } from './yaml-parts.js';

// Runs before ext_proc. ORCH-4003: removes client copies of the routing and lease headers, so the
// only values the router and the ORIGINAL_DST cluster can see are the ones placement set
// (route-level request_headers_to_remove would run in the router, after ext_proc, and strip
// placement's too). ORCH-2052: a request without X-Correlation-Id gets Envoy's x-request-id
// (a UUIDv4), so gateway, sidecar and Envoy's own replies all echo the same id.
export function edgeHeadersFilter(): Record<string, unknown> {
  return {
    name: 'envoy.filters.http.header_mutation',
    typed_config: {
      '@type':
        'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
      mutations: {
        request_mutations: [
          { remove: DESTINATION_HEADER },
          { remove: LEASE_HEADER },
          { remove: RESUME_HEADER },
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

export function extProcFilter(o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    name: EXT_PROC_FILTER,
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
      grpc_service: { envoy_grpc: { cluster_name: CLUSTER_EXT_PROC } },
      // ORCH-4004: fail closed; placement unreachable never yields an unrouted request.
      failure_mode_allow: false,
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

export function routerFilter(): Record<string, unknown> {
  return {
    name: 'envoy.filters.http.router',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
    },
  };
}
