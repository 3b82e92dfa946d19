// Minimal data-plane client for the observability suites: admit, stream (SSE), cancel.
import { randomUUID } from 'node:crypto';
import type { TaskRequest } from '@llama-orch/contracts';
import { SseParser } from '@llama-orch/contracts';

/** SmolLM2-135M continues this for many tokens (raw instructions often hit EOS at once). */
const CONTINUATION = 'Once upon a time, in a small village by the sea,';

export function taskBody(overrides: Partial<TaskRequest> = {}): TaskRequest {
  return {
    task_id: randomUUID(),
    session_id: randomUUID(),
    workload: 'completion',
    model_ref: 'SmolLM2-135M-Instruct-Q4_1',
    engine: 'llamacpp',
    ctx: 512,
    priority: 'interactive',
    max_tokens: 8,
    deadline_ms: 0,
    seed: 42,
    prompt: CONTINUATION,
    ...overrides,
  };
}

export async function submit(
  base: string,
  body: TaskRequest,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function cancel(base: string, taskId: string): Promise<number> {
  const res = await fetch(`${base}/v1/tasks/${taskId}/cancel`, {
    method: 'POST',
    signal: AbortSignal.timeout(30_000),
  });
  await res.arrayBuffer();
  return res.status;
}

export interface Event {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a task's SSE stream to its end; `onEvent` may act mid-stream (e.g. cancel). */
export async function stream(
  base: string,
  taskId: string,
  onEvent: (ev: Event, all: Event[]) => void = () => undefined,
  timeoutMs = 120_000,
  headers: Record<string, string> = {},
): Promise<Event[]> {
  const res = await fetch(`${base}/v1/tasks/${taskId}/stream`, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const parser = new SseParser();
  const events: Event[] = [];
  if (!res.body) return events;
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    for (const raw of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) {
      const ev = { event: raw.event, data: JSON.parse(raw.data) as Record<string, unknown> };
      events.push(ev);
      onEvent(ev, events);
    }
  }
  return events;
}

export const tokens = (events: readonly Event[]): number =>
  events.filter((e) => e.event === 'token').length;
