// Envoy ext_proc messages <-> plain PlacementRequest / PlacementDecision. The only code that
// builds Envoy messages. Header values go out as raw_value only: `value` alone is dropped by
// Envoy ≥1.27 and setting both is rejected (envoy-ext-proc.md §3).
import { resolveCorrelationId } from '../http/correlation-id.js';
import type { PlacementDecision, PlacementRequest } from './handler.js';
import type {
  EnvoyHeaderMutation,
  EnvoyHttpHeaders,
  EnvoyStruct,
  ProcessingRequestKind,
  ProcessingResponse,
} from './envoy-types.js';

const STREAM_PATH = /^\/v1\/tasks\/([^/?#]+)\/stream$/;

export function decodeRequestHeaders(message: EnvoyHttpHeaders): PlacementRequest {
  const headers: Record<string, string> = {};
  for (const h of message.headers?.headers ?? []) {
    const key = h.key.toLowerCase();
    const value =
      h.raw_value !== undefined && h.raw_value.length > 0
        ? Buffer.from(h.raw_value).toString('utf8')
        : (h.value ?? '');
    headers[key] = key in headers ? `${headers[key]},${value}` : value;
  }
  const rawPath = headers[':path'] ?? '';
  const path = rawPath.split('?')[0] ?? '';
  const match = STREAM_PATH.exec(path);
  // ORCH-2052/3144: a valid client id is kept; an invalid one is replaced by a minted id (the
  // answer echoes it) and the request is refused (correlationGuard).
  const correlation = resolveCorrelationId(headers['x-correlation-id']);
  return {
    method: headers[':method'] ?? '',
    path,
    taskId: match?.[1] === undefined ? undefined : safeDecode(match[1]),
    correlationId: correlation.id,
    ...(correlation.refusal ? { correlationRefusal: correlation.refusal } : {}),
    headers,
  };
}

/**
 * @param phase which message the decision answers: the request headers (streams), or the buffered
 *   body on the OpenAI routes (ORCH-3104), where Envoy still holds the headers, so the same header
 *   mutation routes the request.
 */
export function encodeDecision(
  decision: PlacementDecision,
  phase: 'headers' | 'body' = 'headers',
): ProcessingResponse {
  if (decision.kind === 'route') {
    const response = {
      status: 'CONTINUE' as const,
      header_mutation: {
        ...setHeaders(decision.setHeaders),
        ...(decision.removeHeaders?.length ? { remove_headers: [...decision.removeHeaders] } : {}),
      },
    };
    const metadata = decision.dynamicMetadata && {
      dynamic_metadata: struct(decision.dynamicMetadata),
    };
    return phase === 'headers'
      ? { request_headers: { response }, ...metadata }
      : { request_body: { response }, ...metadata };
  }
  return {
    immediate_response: {
      status: { code: decision.status },
      headers: setHeaders(decision.headers),
      body: Buffer.from(decision.body, 'utf8'),
      details: decision.details,
    },
  };
}

/** The one reply owed to a message placement does not act on (e.g. a body it never asked for). */
export function passThrough(kind: ProcessingRequestKind): ProcessingResponse {
  switch (kind) {
    case 'request_headers':
      return { request_headers: { response: { status: 'CONTINUE' } } };
    case 'response_headers':
      return { response_headers: { response: { status: 'CONTINUE' } } };
    case 'request_body':
      return { request_body: { response: { status: 'CONTINUE' } } };
    case 'response_body':
      return { response_body: { response: { status: 'CONTINUE' } } };
    case 'request_trailers':
      return { request_trailers: {} };
    case 'response_trailers':
      return { response_trailers: {} };
  }
}

function setHeaders(headers: Readonly<Record<string, string>>): EnvoyHeaderMutation {
  return {
    set_headers: Object.entries(headers).map(([key, value]) => ({
      header: { key: key.toLowerCase(), raw_value: Buffer.from(value, 'utf8') },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' as const,
    })),
  };
}

function struct(
  namespaces: Readonly<Record<string, Readonly<Record<string, string>>>>,
): EnvoyStruct {
  const fields: EnvoyStruct['fields'] = {};
  for (const [namespace, values] of Object.entries(namespaces)) {
    const inner: EnvoyStruct['fields'] = {};
    for (const [key, value] of Object.entries(values)) inner[key] = { stringValue: value };
    fields[namespace] = { structValue: { fields: inner } };
  }
  return { fields };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
