// A small OrchQueue v1 client for the E2E suites and the overhead bench: submit, stream (with a
// time bound and per-event timestamps), cancel, and JSON helpers. Talks plain fetch so every
// request really crosses Envoy, exactly like an external client.
import { randomUUID } from 'node:crypto';
import type { TaskRequest } from '@llama-orch/contracts';
import { SseParser } from '@llama-orch/contracts';

/** A prompt SmolLM2-135M continues for many tokens (raw instructions often hit EOS at once). */
export const CONTINUATION_PROMPT = 'Once upon a time, in a small village by the sea,';

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
    prompt: CONTINUATION_PROMPT,
    ...overrides,
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, or the raw text when the body is not JSON (undefined when empty). */
  body: unknown;
}

function headerRecord(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

async function toResult(res: Response): Promise<HttpResult> {
  const text = await res.text();
  let body: unknown = text === '' ? undefined : text;
  try {
    if (text !== '') body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: res.status, headers: headerRecord(res.headers), body };
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return toResult(res);
}

export async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return toResult(await fetch(url, { headers, signal: AbortSignal.timeout(30_000) }));
}

export function submit(
  base: string,
  body: TaskRequest,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return postJson(`${base}/v1/tasks`, body, headers);
}

export async function cancel(base: string, taskId: string): Promise<HttpResult> {
  const res = await fetch(`${base}/v1/tasks/${taskId}/cancel`, {
    method: 'POST',
    signal: AbortSignal.timeout(30_000),
  });
  return toResult(res);
}

export interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
  /** ms since the stream request was sent. */
  at: number;
}

export interface StreamResult {
  status: number;
  headers: Record<string, string>;
  events: StreamEvent[];
  /** The exact bytes received, for validateSseTranscript. */
  raw: string;
  /** ms from the request to the response headers. */
  headersAt: number;
  /** ms from the request to the end of the body. */
  doneAt: number;
}

interface StreamOptions {
  headers?: Record<string, string>;
  /** Called for every event as it arrives (e.g. to cancel after the first token). */
  onEvent?: (ev: StreamEvent, all: StreamEvent[]) => void;
  /** Hard bound on the whole stream; the read is aborted after it and the call throws. */
  timeoutMs?: number;
  /** Stream path on `base`; defaults to the task's stream. */
  path?: string;
}

/** GET the task's SSE stream and read it to the end (bounded). */
export async function stream(
  base: string,
  taskId: string,
  opts: StreamOptions = {},
): Promise<StreamResult> {
  const t0 = performance.now();
  const since = (): number => performance.now() - t0;
  const ctl = new AbortController();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const timer = setTimeout(
    () => ctl.abort(new Error(`stream ${taskId}: over ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    const res = await fetch(`${base}${opts.path ?? `/v1/tasks/${taskId}/stream`}`, {
      headers: { accept: 'text/event-stream', ...opts.headers },
      signal: ctl.signal,
    });
    const headersAt = since();
    const parser = new SseParser();
    const events: StreamEvent[] = [];
    let raw = '';
    if (res.body) {
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        const text = decoder.decode(chunk as Uint8Array, { stream: true });
        raw += text;
        for (const r of parser.push(text)) {
          let data: Record<string, unknown>;
          try {
            data = JSON.parse(r.data) as Record<string, unknown>;
          } catch {
            data = { unparsed: r.data };
          }
          const ev = { event: r.event, data, at: since() };
          events.push(ev);
          opts.onEvent?.(ev, events);
        }
      }
    }
    return {
      status: res.status,
      headers: headerRecord(res.headers),
      events,
      raw,
      headersAt,
      doneAt: since(),
    };
  } finally {
    clearTimeout(timer);
  }
}

export function tokenText(events: readonly StreamEvent[]): string {
  return events
    .filter((e) => e.event === 'token')
    .map((e) => String(e.data.t))
    .join('');
}

export function tokenCount(events: readonly StreamEvent[]): number {
  return events.filter((e) => e.event === 'token').length;
}

export function terminal(events: readonly StreamEvent[]): StreamEvent | undefined {
  return events.find((e) => e.event === 'end' || e.event === 'error');
}

/** Submit and stream in one go; throws with the body when admission is not 202. */
export async function run(
  base: string,
  body: TaskRequest,
  opts: StreamOptions = {},
): Promise<{ admission: HttpResult; stream: StreamResult }> {
  const admission = await submit(base, body, opts.headers);
  if (admission.status !== 202) {
    throw new Error(`admission ${admission.status}: ${JSON.stringify(admission.body)}`);
  }
  return { admission, stream: await stream(base, body.task_id, opts) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns a value (not undefined) or the bound passes. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Re-reads `probe` until `settled` holds or `timeoutMs` passes, and returns the last reading
 * without throwing: for values that converge a little after the event the client saw (placement
 * counts a lease's tokens when the sidecar's LeaseFinished arrives, just after the stream's end).
 * The caller's assertion judges the result.
 */
export async function settle<T>(
  probe: () => Promise<T>,
  settled: (v: T) => boolean,
  timeoutMs = 5_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await probe();
  while (!settled(v) && Date.now() < deadline) {
    await sleep(intervalMs);
    v = await probe();
  }
  return v;
}
