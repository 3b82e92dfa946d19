// The chaos suite's client: submits through Envoy and follows a task's SSE stream to its final
// terminal across faults, reconnecting with Last-Event-ID (the last `id:` it saw) when a
// connection breaks, Envoy is down or a 5xx answers. Everything it sees goes into the task's
// ledger (ledger.ts); it never throws for a fault, it records it. Bounded: every follow has a
// deadline after which the task counts as lost.
import { randomUUID } from 'node:crypto';
import { SseParser } from '@llama-orch/contracts';
import type { RawSseEvent, TaskRequest } from '@llama-orch/contracts';
import { newLedger } from './ledger.js';
import type { TaskLedger } from './ledger.js';

interface SubmitOutcome {
  status: number;
  headers: Headers;
  body: string;
  at: number;
}

export function chaosTask(
  modelRef: string,
  maxTokens: number,
  seed: number,
  priority: TaskRequest['priority'] = 'interactive',
): TaskRequest {
  return {
    task_id: randomUUID(),
    session_id: randomUUID(),
    workload: 'completion',
    model_ref: modelRef,
    engine: 'llamacpp',
    ctx: 512,
    priority,
    max_tokens: maxTokens,
    deadline_ms: 0,
    determinism: 'best_effort',
    seed,
    prompt: `Once upon a time, story ${seed}`,
  };
}

/** POST /v1/tasks; a refused connection (Envoy down) is status 0. */
export async function submitTask(base: string, body: TaskRequest): Promise<SubmitOutcome> {
  try {
    const res = await fetch(`${base}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    return {
      status: res.status,
      headers: res.headers,
      body: await res.text(),
      at: performance.now(),
    };
  } catch (e) {
    return {
      status: 0,
      headers: new Headers(),
      body: e instanceof Error ? e.message : String(e),
      at: performance.now(),
    };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface FollowOptions {
  /** Give up (lost) this long after acceptance. */
  deadlineMs: number;
  /** Pause between reconnects. */
  retryMs?: number;
}

/**
 * Follows `ledger`'s task to its final terminal (see ledger.ts for which one is final). Returns
 * when it is reached, or the task is unknown (404), or the deadline passed.
 */
export async function follow(base: string, ledger: TaskLedger, o: FollowOptions): Promise<void> {
  const retryMs = o.retryMs ?? 200;
  let lastId: string | undefined;
  let provisional = false;
  for (;;) {
    const left = ledger.acceptedAt + o.deadlineMs - performance.now();
    if (left <= 0) {
      ledger.lostReason = `no final terminal ${o.deadlineMs} ms after acceptance`;
      return;
    }
    ledger.connections += 1;
    let res: Response;
    try {
      res = await fetch(`${base}/v1/tasks/${ledger.taskId}/stream`, {
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        signal: AbortSignal.timeout(Math.ceil(left)),
      });
    } catch (e) {
      // Envoy down or the deadline's abort: try again until the deadline says otherwise.
      noteBreak(ledger, e);
      await sleep(retryMs);
      continue;
    }
    if (res.status !== 200) {
      const text = await res.text().catch(() => '');
      ledger.streamStatuses.push(res.status);
      ledger.firstRefusal ??= `${res.status} ${text.slice(0, 240)}`;
      if (res.status >= 500) {
        await sleep(retryMs);
        continue;
      }
      const last = ledger.terminals.at(-1);
      if (res.status === 404 && provisional && last) {
        // The task is gone after a retriable error: that error was its end.
        last.final = true;
        return;
      }
      ledger.lostReason = `stream answered ${res.status} on connection ${ledger.connections}: ${text.slice(0, 200)}`;
      return;
    }
    const parser = new SseParser();
    try {
      if (res.body) {
        const decoder = new TextDecoder();
        for await (const chunk of res.body) {
          for (const ev of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) {
            if (ev.id !== undefined) lastId = ev.id;
            if (handle(ledger, ev)) return;
          }
        }
      }
    } catch (e) {
      // The connection broke mid-stream (Envoy or a sidecar killed, a link cut): reconnect.
      noteBreak(ledger, e);
    }
    const last = ledger.terminals.at(-1);
    provisional = last !== undefined && !last.final;
    if (provisional && last && ledger.terminals.length >= 3) {
      // Bounded: three provisional errors in a row are the task's answer.
      last.final = true;
      return;
    }
    await sleep(retryMs);
  }
}

function noteBreak(ledger: TaskLedger, e: unknown): void {
  ledger.broken += 1;
  const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
  ledger.lastBreak = `${e instanceof Error ? e.message : String(e)}${cause}`;
}

/** Records one event; true when it is the task's final terminal. */
function handle(ledger: TaskLedger, ev: RawSseEvent): boolean {
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(ev.data) as Record<string, unknown>;
  } catch {
    // kept as an empty object: a malformed event still counts by its name
  }
  const at = performance.now();
  if (ev.event === 'started') {
    ledger.started = true;
    ledger.startedAt ??= at;
  } else if (ev.event === 'token') {
    const i = Number(data.i);
    ledger.tokens.set(i, (ledger.tokens.get(i) ?? 0) + 1);
    ledger.firstTokenAt ??= at;
  } else if (ev.event === 'end') {
    ledger.terminals.push({
      event: 'end',
      at,
      final: true,
      reason: String(data.reason),
      tokensOut: Number(data.tokens_out),
    });
    return true;
  } else if (ev.event === 'error') {
    const retriable = data.retriable === true;
    const final = ledger.started || !retriable;
    ledger.terminals.push({ event: 'error', code: String(data.code), retriable, at, final });
    return final;
  }
  return false;
}

export { newLedger };
