// The OpenAI-compatible surface (ORCH-3103..3106): request validation for the two completion
// routes and the one mapping from the error catalogue to OpenAI's error shape. Gateway, sidecar
// and Envoy's local replies all shape OpenAI errors here, so the HTTP status always stays the
// catalogue's (errors.ts) and only the body differs from the OrchQueue ErrorEnvelope.
import { ERROR_CODES, isBackpressureCode } from './errors.js';
import type {
  ChatCompletionRequest,
  ChatMessage,
  CompletionRequest,
  ErrorCode,
  OpenAiErrorResponse,
} from './types.js';
import { validateSchema } from './validate.js';
import type { ValidationResult } from './openapi/ajv.js';

/** The paths Envoy sends to placement with their bodies (ORCH-3104). */
export const OPENAI_CHAT_PATH = '/v1/chat/completions';
export const OPENAI_COMPLETIONS_PATH = '/v1/completions';
export const OPENAI_MODELS_PATH = '/v1/models';
export type OpenAiRoute = 'chat' | 'completions';

export function openAiRouteOf(path: string): OpenAiRoute | undefined {
  const bare = path.split('?')[0];
  if (bare === OPENAI_CHAT_PATH) return 'chat';
  if (bare === OPENAI_COMPLETIONS_PATH) return 'completions';
  return undefined;
}

/** `X-Orch-Seed`: the seed the engine ran with (ORCH-3105). */
export const OPENAI_SEED_HEADER = 'x-orch-seed';

/** OpenAI's `error.type` for an HTTP status: what its SDKs show beside the status class. */
export function openAiErrorType(status: number): string {
  if (status === 400 || status === 413) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  return 'server_error';
}

export function openAiErrorBody(
  code: ErrorCode,
  message: string,
  param?: string | null,
): OpenAiErrorResponse {
  return {
    error: {
      message,
      type: openAiErrorType(ERROR_CODES[code].httpStatus),
      code,
      param: param ?? null,
    },
  };
}

export interface OpenAiErrorInput {
  code: ErrorCode;
  message: string;
  param?: string | null;
  /** Backpressure codes: becomes Retry-After (s, rounded up) and X-Backoff-Ms (ORCH-2007). */
  retry_after_ms?: number;
  correlation_id?: string;
}

export interface OpenAiErrorReply {
  status: number;
  headers: Record<string, string>;
  body: OpenAiErrorResponse;
}

/** Status, headers and body of an OpenAI-shaped error (ORCH-3106). */
export function openAiErrorResponse(input: OpenAiErrorInput): OpenAiErrorReply {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (input.correlation_id !== undefined) headers['x-correlation-id'] = input.correlation_id;
  if (isBackpressureCode(input.code)) {
    const ms = Math.max(0, Math.round(input.retry_after_ms ?? 1000));
    headers['retry-after'] = String(Math.ceil(ms / 1000));
    headers['x-backoff-ms'] = String(ms);
  }
  return {
    status: ERROR_CODES[input.code].httpStatus,
    headers,
    body: openAiErrorBody(input.code, input.message, input.param),
  };
}

export type OpenAiRequest =
  | { route: 'chat'; body: ChatCompletionRequest }
  | { route: 'completions'; body: CompletionRequest };

export type OpenAiParsed =
  { ok: true; request: OpenAiRequest } | { ok: false; message: string; param: string | null };

/**
 * Parse and validate an OpenAI request body (raw JSON text) against the contract; `n` > 1 is
 * refused here because one task yields one choice (ORCH-3105).
 */
export function parseOpenAiRequest(route: OpenAiRoute, text: string): OpenAiParsed {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'request body is not valid JSON', param: null };
  }
  return checkOpenAiRequest(route, json);
}

/** As parseOpenAiRequest, for a body already parsed from JSON. */
export function checkOpenAiRequest(route: OpenAiRoute, json: unknown): OpenAiParsed {
  const checked: ValidationResult<ChatCompletionRequest | CompletionRequest> = validateSchema(
    'data',
    route === 'chat' ? 'ChatCompletionRequest' : 'CompletionRequest',
    json,
  );
  if (!checked.ok) {
    const first = checked.issues[0];
    const param = first?.path.replace(/^\//, '').split('/')[0] || null;
    return {
      ok: false,
      message: checked.issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; '),
      param,
    };
  }
  const body = checked.value;
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    return { ok: false, message: `n: only n=1 is served (got ${body.n})`, param: 'n' };
  }
  return route === 'chat'
    ? { ok: true, request: { route, body: body as ChatCompletionRequest } }
    : { ok: true, request: { route, body: body as CompletionRequest } };
}

/** A message's text: a string as is, text parts joined. */
export function messageText(message: ChatMessage): string {
  return typeof message.content === 'string'
    ? message.content
    : message.content.map((p) => p.text).join('');
}

/** `stop` as a list (absent / null → empty). */
export function stopList(stop: ChatCompletionRequest['stop']): string[] {
  if (stop === undefined || stop === null) return [];
  return typeof stop === 'string' ? [stop] : [...stop];
}

/** The completion budget asked for (max_completion_tokens wins, as in OpenAI's API). */
export function requestedMaxTokens(request: OpenAiRequest): number | undefined {
  const b = request.body;
  const v =
    request.route === 'chat' ? (request.body.max_completion_tokens ?? b.max_tokens) : b.max_tokens;
  return v ?? undefined;
}
