// Envoy's own error replies (placement down, message timeout, sidecar unreachable) become a
// typed ErrorEnvelope (ORCH-2006, ORCH-4004). Replies placement sends itself (404, 200 SSE, 429)
// are not 5xx Envoy failures and pass through unchanged. Also the optional JSON access log.
import { CORRELATION_HEADER, EXT_PROC_ERROR_STATUS } from './names.js';

function envelope(code: string, message: string, retriable: boolean): Record<string, unknown> {
  return {
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
  };
}

function statusIs(status: number, runtimeKey: string): Record<string, unknown> {
  return {
    status_code_filter: {
      comparison: { op: 'EQ', value: { default_value: status, runtime_key: runtimeKey } },
    },
  };
}

// ORCH-3106: on the OpenAI routes Envoy's own replies use OpenAI's error shape (same codes and
// statuses as the envelope; the contracts' openAiErrorType names `type`).
const OPENAI_PATH_REGEX = '^/v1/(chat/)?completions(\\?.*)?$';

function openAiShape(code: string, type: string, message: string): Record<string, unknown> {
  return {
    body_format_override: {
      json_format: { error: { message, type, code, param: null } },
      content_type: 'application/json',
    },
    headers_to_add: [
      {
        header: { key: CORRELATION_HEADER, value: '%REQ(X-CORRELATION-ID)%' },
        append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
      },
    ],
  };
}

function onOpenAiPath(filter: Record<string, unknown>): Record<string, unknown> {
  return {
    and_filter: {
      filters: [
        {
          header_filter: {
            header: { name: ':path', string_match: { safe_regex: { regex: OPENAI_PATH_REGEX } } },
          },
        },
        filter,
      ],
    },
  };
}

export function localReplyConfig(): Record<string, unknown> {
  // UC: the upstream closed the connection before answering (placement or a sidecar killed
  // mid-request); the others: it could not be reached, had no healthy host, overflowed, no route.
  const upstreamGone = { response_flag_filter: { flags: ['UF', 'UC', 'UH', 'URX', 'UO', 'NR'] } };
  return {
    mappers: [
      {
        // ORCH-3104: a body above the route's buffer limit, refused before placement sees it.
        filter: statusIs(413, 'orch.local_reply.too_large'),
        status_code: 413,
        ...openAiShape(
          'REQUEST_TOO_LARGE',
          'invalid_request_error',
          'request body above the limit of this route: %RESPONSE_CODE_DETAILS%',
        ),
      },
      {
        filter: onOpenAiPath(upstreamGone),
        status_code: 503,
        ...openAiShape(
          'POOL_UNAVAILABLE',
          'server_error',
          'upstream unavailable: %RESPONSE_CODE_DETAILS%',
        ),
      },
      {
        filter: onOpenAiPath({
          or_filter: {
            filters: [
              statusIs(504, 'orch.local_reply.openai_timeout'),
              statusIs(EXT_PROC_ERROR_STATUS, 'orch.local_reply.openai_error'),
            ],
          },
        }),
        status_code: 503,
        ...openAiShape(
          'POOL_UNAVAILABLE',
          'server_error',
          'placement unavailable: %RESPONSE_CODE_DETAILS%',
        ),
      },
      {
        // No usable upstream: sidecar or gateway REST unreachable, overflow, or no route.
        filter: upstreamGone,
        status_code: 503,
        ...envelope('POOL_UNAVAILABLE', 'upstream unavailable: %RESPONSE_CODE_DETAILS%', true),
      },
      {
        // ext_proc message timeout → Envoy's 504.
        filter: statusIs(504, 'orch.local_reply.timeout'),
        status_code: 503,
        ...envelope('POOL_UNAVAILABLE', 'placement timed out: %RESPONSE_CODE_DETAILS%', true),
      },
      {
        // ext_proc stream failed (placement down or reset) → status_on_error.
        filter: statusIs(EXT_PROC_ERROR_STATUS, 'orch.local_reply.error'),
        status_code: 503,
        ...envelope('POOL_UNAVAILABLE', 'placement unavailable: %RESPONSE_CODE_DETAILS%', true),
      },
    ],
  };
}

export function accessLog(): Record<string, unknown> {
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
          // Per-hop timings (µs) for the overhead bench: request received → first byte sent
          // upstream (ext_proc hold and routing), → first upstream response byte (the sidecar's
          // first byte), → first byte relayed to the client (Envoy's own forwarding).
          filters_us: '%COMMON_DURATION(DS_RX_BEG:US_TX_BEG:us)%',
          upstream_first_byte_us: '%COMMON_DURATION(US_TX_BEG:US_RX_BEG:us)%',
          relay_first_byte_us: '%COMMON_DURATION(US_RX_BEG:DS_TX_BEG:us)%',
          correlation_id: '%REQ(X-CORRELATION-ID)%',
          trace_id: '%TRACE_ID%',
        },
      },
    },
  };
}
