// Submission (POST /v1/tasks) and stream (GET .../stream) are two HTTP requests, so without a
// client traceparent on both they are two traces. The admit span's context is kept here by task
// id, briefly and bounded, so the hold span can carry a span link to it: the task's stream trace
// points at its submission trace. Only recording spans are kept, so nothing is stored unless
// tracing is on.
import type { SpanContext } from '@opentelemetry/api';

const MAX_ENTRIES = 10_000;
const admitted = new Map<string, SpanContext>();

export function rememberAdmit(taskId: string, span: SpanContext): void {
  if (admitted.size >= MAX_ENTRIES) {
    // Oldest first: Map iterates in insertion order.
    const oldest = admitted.keys().next().value;
    if (oldest !== undefined) admitted.delete(oldest);
  }
  admitted.set(taskId, span);
}

/** The admit span of `taskId`, once (a task is streamed once). */
export function takeAdmit(taskId: string | undefined): SpanContext | undefined {
  if (taskId === undefined) return undefined;
  const span = admitted.get(taskId);
  admitted.delete(taskId);
  return span;
}
