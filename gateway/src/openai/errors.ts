// ORCH-3106: every reply placement gives on the OpenAI routes is in OpenAI's error shape, built by
// the contracts package from the one catalogue (same codes, same HTTP statuses as OrchQueue).
import { openAiErrorResponse, parseSseTranscript } from '@llama-orch/contracts';
import { CoreError, isErrorCode } from '@llama-orch/core';
import type { RespondDecision } from '../extproc/handler.js';
import { asCoreError } from '../errors/errors.js';

/** A CoreError that also names the offending request field (OpenAI's `error.param`). */
export class ParamError extends CoreError {
  constructor(
    message: string,
    readonly param: string | null,
    code: 'INVALID_PARAMS' | 'NOT_FOUND' = 'INVALID_PARAMS',
  ) {
    super(code, message);
  }
}

export function openAiErrorDecision(
  error: unknown,
  correlationId: string | undefined,
): RespondDecision {
  const e = asCoreError(error);
  const r = openAiErrorResponse({
    code: e.code,
    message: e.message,
    param: e instanceof ParamError ? e.param : null,
    ...(e.retryAfterMs !== undefined ? { retry_after_ms: e.retryAfterMs } : {}),
    ...(correlationId ? { correlation_id: correlationId } : {}),
  });
  return {
    kind: 'respond',
    status: r.status,
    headers: r.headers,
    body: JSON.stringify(r.body),
    details: `orch_openai_${e.code.toLowerCase()}`,
  };
}

/**
 * A task that ended before it was routed is answered with its one terminal SSE event on the
 * OrchQueue stream (ORCH-4005); an OpenAI client gets that outcome as an error reply instead.
 */
export function openAiFromTerminal(
  decision: RespondDecision,
  correlationId: string | undefined,
): RespondDecision {
  const event = parseSseTranscript(decision.body)[0];
  if (event?.event === 'error') {
    const data = JSON.parse(event.data) as {
      code?: string;
      message?: string;
      retry_after_ms?: number;
    };
    const code = data.code !== undefined && isErrorCode(data.code) ? data.code : 'INTERNAL';
    return openAiErrorDecision(
      new CoreError(code, data.message ?? 'task failed', {
        ...(data.retry_after_ms !== undefined ? { retryAfterMs: data.retry_after_ms } : {}),
      }),
      correlationId,
    );
  }
  return openAiErrorDecision(
    new CoreError('POOL_UNAVAILABLE', 'the task was canceled before it started', {
      retryAfterMs: 1000,
    }),
    correlationId,
  );
}
