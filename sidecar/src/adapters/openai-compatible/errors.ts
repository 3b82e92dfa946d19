// OpenAI-style error bodies ({"error": {message, type, code}} or the older flat
// {"object": "error", message, type, code}) → our public codes (ORCH-4014).
import type { AdapterError } from '../types.js';
import { isRecord, num, str } from './http.js';

/** The message and numeric code of an OpenAI-style error object, wherever they sit. */
export function openAiErrorParts(v: unknown): { message: string; code?: number; type?: string } {
  const inner = isRecord(v) && isRecord(v.error) ? v.error : v;
  if (!isRecord(inner)) return { message: typeof inner === 'string' ? inner : 'engine error' };
  const code = num(inner.code) ?? (str(inner.code) !== undefined ? Number(inner.code) : undefined);
  return {
    message:
      str(inner.message) ?? (isRecord(v) ? (str(v.error) ?? 'engine error') : 'engine error'),
    code: code !== undefined && Number.isFinite(code) ? code : undefined,
    type: str(inner.type),
  };
}

/** Status (HTTP or the error object's code) → our code. */
export function codeForStatus(status: number | undefined, message: string): AdapterError {
  if (status === 400 || status === 422) {
    return {
      code: 'INVALID_PARAMS',
      message: `engine rejected the request: ${message}`,
      retriable: false,
    };
  }
  if (status === 429) {
    return { code: 'REPLICA_EXHAUSTED', message: `engine overloaded: ${message}`, retriable: true };
  }
  if (status === 502 || status === 503 || status === 504) {
    // Loading, dead engine core (vLLM EngineDeadError) or a proxy in front: another replica may serve.
    return { code: 'WORKER_RESET', message: `engine unavailable: ${message}`, retriable: true };
  }
  return {
    code: 'INTERNAL',
    message: `engine error${status ? ` ${status}` : ''}: ${message}`,
    retriable: false,
  };
}

export function openAiHttpError(status: number, body: string): AdapterError {
  let parsed: unknown = body;
  try {
    parsed = JSON.parse(body);
  } catch {
    // not JSON: keep the raw text
  }
  const parts = openAiErrorParts(parsed);
  return codeForStatus(status, parts.message.slice(0, 200) || `HTTP ${status}`);
}
