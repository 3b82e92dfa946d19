// The one virtual host: the stream route runs ext_proc and goes to the replica placement picked;
// every other API path goes to the gateway's REST port with ext_proc disabled per route.
import { CLUSTER_REPLICAS, CLUSTER_REST, EXT_PROC_FILTER } from './names.js';
import type { ResolvedEnvoyOptions } from './options.js';
import { durationMs } from './yaml-parts.js';

// Only the path shape we route; the query string is not part of a safe_regex path match.
const STREAM_PATH_REGEX = '^/v1/tasks/[^/]+/stream$';

function openAiRoute(name: string, path: string, o: ResolvedEnvoyOptions): Record<string, unknown> {
  return {
    name,
    match: { path, headers: [{ name: ':method', string_match: { exact: 'POST' } }] },
    route: {
      cluster: CLUSTER_REPLICAS,
      timeout: '0s',
      idle_timeout: durationMs(o.streamIdleTimeoutMs),
    },
    // Envoy 1.40's route body limit (per_request_buffer_limit_bytes is deprecated).
    request_body_buffer_limit: o.openAiBodyLimitBytes,
    typed_per_filter_config: {
      [EXT_PROC_FILTER]: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute',
        overrides: {
          processing_mode: {
            request_header_mode: 'SEND',
            response_header_mode: 'SKIP',
            request_body_mode: 'BUFFERED',
            response_body_mode: 'NONE',
            request_trailer_mode: 'SKIP',
            response_trailer_mode: 'SKIP',
          },
        },
      },
    },
    decorator: { operation: `envoy POST ${path}` },
  };
}

export function routeConfig(o: ResolvedEnvoyOptions): Record<string, unknown> {
  const extProcOff = {
    [EXT_PROC_FILTER]: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute',
      disabled: true,
    },
  };
  const toRest = { cluster: CLUSTER_REST, timeout: durationMs(o.restTimeoutMs) };
  // Span names when tracing is on (the default would be the Host header); harmless without it.
  const named = (operation: string): Record<string, unknown> => ({ decorator: { operation } });
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
            ...named('envoy GET /v1/tasks/{id}/stream'),
          },
          // ORCH-3103/3104: the OpenAI completion routes. ext_proc gets the request body here and
          // only here (BUFFERED, bounded by the route's buffer limit: above it Envoy answers 413
          // before placement sees anything), then routes to the sidecar of the lease.
          openAiRoute('openai_chat', '/v1/chat/completions', o),
          openAiRoute('openai_completions', '/v1/completions', o),
          {
            name: 'rest_v1',
            match: { prefix: '/v1/' },
            route: toRest,
            typed_per_filter_config: extProcOff,
            ...named('envoy /v1 REST'),
          },
          {
            name: 'metrics',
            match: { path: '/metrics' },
            route: toRest,
            typed_per_filter_config: extProcOff,
            // Scrapes every few seconds would drown the traces that matter.
            ...(o.tracing ? { tracing: { random_sampling: { numerator: 0 } } } : {}),
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
