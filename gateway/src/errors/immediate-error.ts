// error → ext_proc ImmediateResponse (as a plain RespondDecision the codec encodes). The only
// place stream-route errors are shaped (ORCH-4005).
import type { RespondDecision } from '../extproc/handler.js';
import { asCoreError, errorReply } from './errors.js';

export function toImmediateError(
  error: unknown,
  correlationId: string | undefined,
): RespondDecision {
  const reply = errorReply(error, correlationId);
  return {
    kind: 'respond',
    status: reply.status,
    headers: reply.headers,
    body: JSON.stringify(reply.body),
    details: `orch_${asCoreError(error).code.toLowerCase()}`,
  };
}
