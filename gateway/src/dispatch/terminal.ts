// A task that ends before it was routed still owes its client exactly one terminal SSE event
// (ORCH-2029, ORCH-4005): the ext_proc reply is an ImmediateResponse 200 text/event-stream whose
// body is that event.
import { formatSseEvent } from '@llama-orch/contracts';
import type { SseEvent } from '@llama-orch/contracts';
import type { Engine, TerminalEvent } from '@llama-orch/core';
import type { RespondDecision } from '../extproc/handler.js';
import type { ExtProcOutcome } from '../metrics/metrics.js';

function terminalSseEvent(event: TerminalEvent, engine: Engine): SseEvent {
  if (event.state === 'failed' || event.reason === 'error') {
    const e = event.error;
    return {
      event: 'error',
      data: {
        code: e?.code ?? 'INTERNAL',
        message: e?.message ?? 'task failed',
        engine: e?.engine ?? engine,
        retriable: e?.retriable ?? false,
        ...(e?.retryAfterMs !== undefined ? { retry_after_ms: e.retryAfterMs } : {}),
      },
    };
  }
  // Never routed, so no token was produced (ORCH-3026: nothing after cancel).
  return { event: 'end', data: { tokens_out: 0, decode_time_ms: 0, reason: event.reason } };
}

/**
 * @param id the event's id: 0 when it is the whole stream; one past the client's Last-Event-ID when
 *   it ends a resumed stream whose replica no longer holds it (ORCH-4032)
 */
export function terminalDecision(
  event: TerminalEvent,
  engine: Engine,
  correlationId: string | undefined,
  id = 0,
): RespondDecision {
  return {
    kind: 'respond',
    status: 200,
    headers: {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      ...(correlationId ? { 'x-correlation-id': correlationId } : {}),
    },
    body: formatSseEvent(terminalSseEvent(event, engine), id),
    details: `orch_terminal_${event.state}`,
  };
}

export function terminalOutcome(event: TerminalEvent): ExtProcOutcome {
  if (event.state === 'canceled') return 'canceled';
  const code = event.error?.code;
  return code === 'REPLICA_EXHAUSTED' || code === 'DEADLINE_UNMET' || code === 'DECODE_TIMEOUT'
    ? 'expired'
    : 'error';
}
