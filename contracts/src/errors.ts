// The public error codes, declared once with their HTTP status and default retriability
// (ORCH-2006, ORCH-2007, ORCH-3025). A test keeps this table equal to the ErrorCode enum and its
// x-http-status / x-retriable maps in openapi/data.yaml.
import type { BackpressureErrorEnvelope, Engine, ErrorCode, ErrorEnvelope } from './types.js';

export interface ErrorCodeInfo {
  httpStatus: 400 | 401 | 403 | 404 | 405 | 413 | 429 | 500 | 503;
  retriable: boolean;
}

export const ERROR_CODES = {
  ADMISSION_REJECT: { httpStatus: 429, retriable: true },
  QUEUE_FULL_DROP_LRU: { httpStatus: 429, retriable: true },
  INVALID_PARAMS: { httpStatus: 400, retriable: false },
  DEADLINE_UNMET: { httpStatus: 400, retriable: false },
  NOT_FOUND: { httpStatus: 404, retriable: false },
  UNAUTHORIZED: { httpStatus: 401, retriable: false },
  FORBIDDEN: { httpStatus: 403, retriable: false },
  LEASE_INVALID: { httpStatus: 403, retriable: false },
  POOL_UNREADY: { httpStatus: 503, retriable: true },
  POOL_UNAVAILABLE: { httpStatus: 503, retriable: true },
  REPLICA_EXHAUSTED: { httpStatus: 503, retriable: true },
  MODEL_DEPRECATED: { httpStatus: 400, retriable: false },
  UNTRUSTED_ARTIFACT: { httpStatus: 400, retriable: false },
  DECODE_TIMEOUT: { httpStatus: 500, retriable: true },
  WORKER_RESET: { httpStatus: 500, retriable: true },
  INTERNAL: { httpStatus: 500, retriable: false },
  /** ORCH-3104: a body above Envoy's buffer limit on the OpenAI routes (Envoy answers it). */
  REQUEST_TOO_LARGE: { httpStatus: 413, retriable: false },
  /** ORCH-3144: a method the path does not declare; the answer lists the declared ones in Allow. */
  METHOD_NOT_ALLOWED: { httpStatus: 405, retriable: false },
} as const satisfies Record<ErrorCode, ErrorCodeInfo>;

export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function httpStatusOf(code: ErrorCode): ErrorCodeInfo['httpStatus'] {
  return ERROR_CODES[code].httpStatus;
}

/** Backpressure codes: 429 with Retry-After, X-Backoff-Ms and policy_label (ORCH-2007). */
export function isBackpressureCode(code: ErrorCode): code is BackpressureErrorEnvelope['code'] {
  return code === 'ADMISSION_REJECT' || code === 'QUEUE_FULL_DROP_LRU';
}

export interface ErrorEnvelopeInput {
  code: ErrorCode;
  message: string;
  engine?: Engine;
  /** Defaults to the code's table value. */
  retriable?: boolean;
  retry_after_ms?: number;
  policy_label?: string;
  correlation_id?: string;
}

/** Build an ErrorEnvelope body; unset optional fields are omitted, not null. */
export function errorEnvelope(input: ErrorEnvelopeInput): ErrorEnvelope {
  const out: ErrorEnvelope = {
    code: input.code,
    message: input.message,
    retriable: input.retriable ?? ERROR_CODES[input.code].retriable,
  };
  if (input.engine !== undefined) out.engine = input.engine;
  if (input.retry_after_ms !== undefined)
    out.retry_after_ms = Math.max(0, Math.round(input.retry_after_ms));
  if (input.policy_label !== undefined) out.policy_label = input.policy_label;
  if (input.correlation_id !== undefined) out.correlation_id = input.correlation_id;
  if (
    isBackpressureCode(input.code) &&
    (out.policy_label === undefined || out.retry_after_ms === undefined)
  ) {
    throw new Error(
      `errorEnvelope: ${input.code} needs policy_label and retry_after_ms (ORCH-2007)`,
    );
  }
  return out;
}

/** A ready-to-send error response: status, headers and body (ORCH-2007, ORCH-2052). */
export interface ErrorResponse {
  status: ErrorCodeInfo['httpStatus'];
  headers: Record<string, string>;
  body: ErrorEnvelope;
}

export function errorResponse(input: ErrorEnvelopeInput): ErrorResponse {
  const body = errorEnvelope(input);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (body.correlation_id !== undefined) headers['x-correlation-id'] = body.correlation_id;
  if (isBackpressureCode(body.code) && body.retry_after_ms !== undefined) {
    headers['retry-after'] = String(Math.ceil(body.retry_after_ms / 1000));
    headers['x-backoff-ms'] = String(body.retry_after_ms);
  }
  return { status: ERROR_CODES[body.code].httpStatus, headers, body };
}
