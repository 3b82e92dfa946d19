// E2E ORCH-4030/4031/4032 across a placement restart, on real processes (placement, Envoy, one
// sidecar before an engine-sim replica). A client reads a few tokens and drops its connection; the
// sidecar goes on streaming into its resume log. Placement is restarted while the sidecar is
// stopped (SIGSTOP), so the client's reconnect (Last-Event-ID) reaches the new placement before the
// replica re-registers: the task was queued again from the journal, and the request is held. When
// the sidecar continues, either its lease is still streaming (re-reported in its Register) or it
// finished meanwhile (its LeaseFinished follows the Register). Either way placement adopts that
// lease and routes the held request to it, from the client's Last-Event-ID: every token exactly
// once, then `end`. Before, the request stayed held (the chaos suite's lost task), or the task ran a
// second time and the client got its tokens again from 0.
import { SseParser } from '@llama-orch/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimStack, type SimStack } from './sim-stack.js';
import { sleep, submit, taskBody } from '../e2e/helpers/client.js';

const MAX_TOKENS = 40;
const READ_BEFORE_DROP = 3;

let stack: SimStack | undefined;
const t0 = Date.now();
const say = (m: string): void => {
  process.stdout.write(`[restart-resume +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
};

afterEach(async () => {
  const pid = stack?.pid('sidecar-0');
  if (pid !== undefined) process.kill(pid, 'SIGCONT');
  await stack?.close();
  stack = undefined;
}, 60_000);

interface Seen {
  status: number;
  events: { event: string; id: string | undefined; data: Record<string, unknown> }[];
}

/** GET the stream; stop reading (dropping the connection) once `stopAfterTokens` tokens came. */
async function read(
  s: SimStack,
  taskId: string,
  headers: Record<string, string>,
  stopAfterTokens = Infinity,
): Promise<Seen> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error('stream over 30 s')), 30_000);
  const seen: Seen = { status: 0, events: [] };
  try {
    const res = await fetch(`${s.url}/v1/tasks/${taskId}/stream`, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: ctl.signal,
    });
    seen.status = res.status;
    const parser = new SseParser();
    const decoder = new TextDecoder();
    let tokens = 0;
    for await (const chunk of res.body ?? []) {
      for (const r of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) {
        seen.events.push({
          event: r.event,
          id: r.id,
          data: JSON.parse(r.data) as Record<string, unknown>,
        });
        if (r.event === 'token' && ++tokens >= stopAfterTokens) {
          ctl.abort(new Error('client leaves'));
          return seen;
        }
      }
    }
    return seen;
  } catch (error) {
    if (ctl.signal.aborted && seen.events.length > 0) return seen;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const tokenIndices = (s: Seen): number[] =>
  s.events.filter((e) => e.event === 'token').map((e) => Number(e.data.i));

const CASES = [
  // 40 tokens 50 ms apart end while the sidecar is stopped (the restart takes ~2 s).
  { lease: 'finished while placement was down', itlMs: 50 },
  // 40 tokens 250 ms apart (10 s) are still streaming when the sidecar re-registers.
  { lease: 'still streaming at re-registration', itlMs: 250 },
];

describe('ORCH-4031: a reconnect held across a placement restart is routed to the adopted lease', () => {
  it.each(CASES)(
    'ORCH-4031, ORCH-4032: lease $lease: every token once, then end, resumed after Last-Event-ID',
    async ({ itlMs }) => {
      const s = await startSimStack({
        replicas: 1,
        sim: { itlMs, jitter: 0, noEos: true },
        log: say,
      });
      stack = s;
      const body = taskBody({
        model_ref: s.modelRef,
        determinism: 'best_effort',
        max_tokens: MAX_TOKENS,
      });
      const admission = await submit(s.url, body);
      expect(admission.status, JSON.stringify(admission.body)).toBe(202);

      const first = await read(s, body.task_id, {}, READ_BEFORE_DROP);
      expect(first.status).toBe(200);
      expect(tokenIndices(first), JSON.stringify(first.events)).toEqual([0, 1, 2]);
      const lastId = first.events.at(-1)?.id;
      expect(lastId).toMatch(/^\d+$/);
      say(`read ${READ_BEFORE_DROP} tokens, left after event id ${lastId}`);

      // The replica cannot re-register until SIGCONT: the reconnect below reaches the new
      // placement first and is held there.
      const sidecar = s.pid('sidecar-0');
      if (sidecar === undefined) throw new Error('sidecar-0 is not running');
      process.kill(sidecar, 'SIGSTOP');
      try {
        await s.restartPlacement();
        say('placement restarted; sidecar stopped');
        const resumed = read(s, body.task_id, { 'last-event-id': String(lastId) });
        await sleep(500);
        process.kill(sidecar, 'SIGCONT');
        say('sidecar continued');
        const second = await resumed;
        expect(second.status).toBe(200);
        const logs = [...s.tail('placement'), ...s.tail('sidecar-0')].join('\n');
        expect([...tokenIndices(first), ...tokenIndices(second)], logs).toEqual(
          Array.from({ length: MAX_TOKENS }, (_, i) => i),
        );
        expect(Number(second.events[0]?.id)).toBe(Number(lastId) + 1);
        const end = second.events.at(-1);
        expect(end?.event, JSON.stringify(end)).toBe('end');
      } finally {
        process.kill(sidecar, 'SIGCONT');
      }
    },
    90_000,
  );
});
