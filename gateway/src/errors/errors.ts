// Every error the gateway answers with is a core CoreError (the contract's ErrorEnvelope codes);
// anything else is an INTERNAL bug. Envelopes and backpressure headers are built by the
// contracts package's errorResponse (one table, one builder).
import { errorResponse, isBackpressureCode } from '@llama-orch/contracts';
import type { ErrorResponse } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';

// ORCH-2007 requires a policy label and retry hint on every 429; core may omit them.
const DEFAULT_RETRY_MS = 1000;

export function asCoreError(error: unknown): CoreError {
  if (error instanceof CoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CoreError('INTERNAL', `internal error: ${message}`);
}

export function errorReply(error: unknown, correlationId: string | undefined): ErrorResponse {
  const e = asCoreError(error);
  const backpressure = isBackpressureCode(e.code);
  return errorResponse({
    code: e.code,
    message: e.message,
    retriable: e.retriable,
    ...(e.engine !== undefined ? { engine: e.engine } : {}),
    ...(e.retryAfterMs !== undefined || backpressure
      ? { retry_after_ms: e.retryAfterMs ?? DEFAULT_RETRY_MS }
      : {}),
    ...(e.policyLabel !== undefined || backpressure
      ? {
          policy_label: e.policyLabel ?? (e.code === 'QUEUE_FULL_DROP_LRU' ? 'drop-lru' : 'reject'),
        }
      : {}),
    ...(correlationId ? { correlation_id: correlationId } : {}),
  });
}
