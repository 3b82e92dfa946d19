// E2E through real Envoy with the real engine (CPU carve-out, ORCH-1101): cancel mid-stream and
// while queued, typed pre-stream errors, backpressure, correlation ids and the cancel/reject
// metrics. The interactive queue is shrunk to one so one long task plus one waiting task fill it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResponse, validateSseTranscript } from '@llama-orch/contracts';
import type { Stack } from '../src/stack/index.js';
import { startStack } from '../src/stack/index.js';
import {
  cancel,
  getJson,
  postJson,
  stream,
  submit,
  taskBody,
  terminal,
  tokenCount,
  waitFor,
} from './helpers/client.js';
import type { HttpResult, StreamEvent, StreamResult } from './helpers/client.js';
import { scrape, total } from './helpers/metrics.js';
import type { Sample } from './helpers/metrics.js';

// Long enough to still be decoding when the test acts on it even on an idle machine (~100 tok/s),
// bounded so a missed cancel still ends; every long task is canceled well before this.
const LONG = 400;
const LONG_CTX = 1024;

function envelopeCode(r: HttpResult): string | undefined {
  return (r.body as { code?: string } | undefined)?.code;
}

/** Stream a task and cancel it through Envoy once `after` tokens arrived. */
async function streamAndCancel(
  base: string,
  taskId: string,
  after: number,
): Promise<{ s: StreamResult; cancelSentAt: number; cancelAckAt: number; status: number }> {
  let cancelSentAt = Number.NaN;
  let cancelAckAt = Number.NaN;
  let status = 0;
  let pending: Promise<void> | undefined;
  const s = await stream(base, taskId, {
    timeoutMs: 120_000,
    onEvent: (ev: StreamEvent, all: StreamEvent[]) => {
      if (pending || ev.event !== 'token' || tokenCount(all) < after) return;
      cancelSentAt = ev.at;
      const t0 = performance.now();
      pending = cancel(base, taskId).then((r) => {
        status = r.status;
        cancelAckAt = cancelSentAt + (performance.now() - t0);
      });
    },
  });
  await pending;
  return { s, cancelSentAt, cancelAckAt, status };
}

describe('ORCH-4001: E2E cancel, errors and backpressure through Envoy', () => {
  let stack: Stack;
  let baseline: Sample[];

  beforeAll(async () => {
    stack = await startStack({
      tweak: (c) => {
        // Pools carry the global queue merged in: shrink both copies.
        c.queue.interactive.capacity = 1;
        for (const p of c.pools) p.queue.interactive.capacity = 1;
      },
    });
    baseline = (await scrape(stack.url)).samples;
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  it('ORCH-2006/ORCH-4005/ORCH-2052: unknown task → 404 NOT_FOUND envelope on stream and cancel', async () => {
    const cid = `e2e-${randomUUID()}`;
    const id = randomUUID();
    const s = await getJson(`${stack.url}/v1/tasks/${id}/stream`, { 'x-correlation-id': cid });
    expect(s.status).toBe(404);
    expect(validateResponse('streamTask', 404, s.body, s.headers).issues).toEqual([]);
    expect(envelopeCode(s)).toBe('NOT_FOUND');
    expect(s.headers['x-correlation-id']).toBe(cid);
    const c = await cancel(stack.url, id);
    expect(c.status).toBe(404);
    expect(validateResponse('cancelTask', 404, c.body, c.headers).issues).toEqual([]);
  }, 30_000);

  it('ORCH-2001/ORCH-3014/ORCH-2034: malformed body, missing field, ctx over ctx_max → 400 envelope, no task created', async () => {
    const ctxMax = stack.config.pools[0]?.ctx_max ?? 2048;
    const good = taskBody();
    const { prompt: _dropped, ...missingPrompt } = taskBody();
    const cases: { name: string; taskId: string; body: unknown }[] = [
      { name: 'malformed', taskId: good.task_id, body: `{"task_id":"${good.task_id}",` },
      { name: 'missing prompt', taskId: missingPrompt.task_id, body: missingPrompt },
      { name: 'ctx over limit', taskId: randomUUID(), body: undefined },
    ];
    const last = cases[2];
    if (last) last.body = taskBody({ task_id: last.taskId, ctx: ctxMax + 1 });
    for (const c of cases) {
      const cid = `e2e-${randomUUID()}`;
      const r = await postJson(`${stack.url}/v1/tasks`, c.body, { 'x-correlation-id': cid });
      expect(r.status, c.name).toBe(400);
      expect(validateResponse('createTask', 400, r.body, r.headers).issues, c.name).toEqual([]);
      expect(envelopeCode(r), c.name).toBe('INVALID_PARAMS');
      expect(r.headers['x-correlation-id'], c.name).toBe(cid);
      // No task was created: its stream is unknown.
      const s = await getJson(`${stack.url}/v1/tasks/${c.taskId}/stream`);
      expect(s.status, c.name).toBe(404);
    }
  }, 60_000);

  it('ORCH-3017/ORCH-3026/ORCH-4013: cancel mid-stream ends promptly with end{canceled}, no token after', async () => {
    const body = taskBody({ max_tokens: LONG, ctx: LONG_CTX, seed: 3 });
    expect((await submit(stack.url, body)).status).toBe(202);
    const { s, cancelSentAt, cancelAckAt, status } = await streamAndCancel(
      stack.url,
      body.task_id,
      2,
    );
    expect(status).toBe(204);
    expect(validateSseTranscript(s.raw).issues).toEqual([]);
    const end = terminal(s.events);
    expect(end?.event).toBe('end');
    expect(end?.data.reason).toBe('canceled');
    expect(s.events.at(-1)).toBe(end);
    const tokens = tokenCount(s.events);
    expect(tokens).toBeLessThan(LONG);
    expect(end?.data.tokens_out).toBe(tokens);
    // Prompt: the terminal event follows the cancel within 2 s, even on the loaded CI box.
    expect((end?.at ?? Infinity) - cancelSentAt).toBeLessThan(2_000);
    // At most one token can already be on the wire when the 204 is answered; none later.
    const late = s.events.filter((e) => e.event === 'token' && e.at > cancelAckAt);
    expect(late.length).toBeLessThanOrEqual(1);
    // Idempotent (ORCH-2003): a second cancel of a finished task is still 204 or 404, never 5xx.
    expect([204, 404]).toContain((await cancel(stack.url, body.task_id)).status);
  }, 120_000);

  describe('ORCH-3004: one task running, one waiting, queue capacity 1', () => {
    const running = taskBody({ max_tokens: LONG, ctx: LONG_CTX, seed: 9 });
    const waiting = taskBody({ max_tokens: 4 });
    let runningStream: Promise<StreamResult> | undefined;
    let firstToken: Promise<void> | undefined;

    beforeAll(async () => {
      expect((await submit(stack.url, running)).status).toBe(202);
      let seen: () => void = () => undefined;
      firstToken = new Promise((r) => {
        seen = r;
      });
      runningStream = stream(stack.url, running.task_id, {
        timeoutMs: 180_000,
        onEvent: (ev) => {
          if (ev.event === 'token') seen();
        },
      });
      // Only once it decodes has the running task left the queue.
      const ended = await Promise.race([
        firstToken.then(() => false),
        runningStream.then(() => true),
      ]);
      expect(ended, 'the long task ended before its first token').toBe(false);
      expect((await submit(stack.url, waiting)).status).toBe(202);
    }, 120_000);

    afterAll(async () => {
      await cancel(stack.url, running.task_id).catch(() => undefined);
      await runningStream?.catch(() => undefined);
    }, 60_000);

    it('ORCH-3005/ORCH-2007: a queue over capacity answers 429 with Retry-After and X-Backoff-Ms', async () => {
      const cid = `e2e-${randomUUID()}`;
      const over = taskBody();
      const r = await submit(stack.url, over, { 'x-correlation-id': cid });
      expect(r.status).toBe(429);
      expect(validateResponse('createTask', 429, r.body, r.headers).issues).toEqual([]);
      expect(envelopeCode(r)).toBe('ADMISSION_REJECT');
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers['x-backoff-ms'])).toBeGreaterThan(0);
      expect(r.headers['x-correlation-id']).toBe(cid);
      expect((r.body as { retriable?: boolean }).retriable).toBe(true);
      expect((await getJson(`${stack.url}/v1/tasks/${over.task_id}/stream`)).status).toBe(404);
    }, 30_000);

    it('ORCH-4005/ORCH-3017: cancel while queued → the held stream gets one terminal event', async () => {
      const held = stream(stack.url, waiting.task_id, { timeoutMs: 30_000 });
      // Give Envoy and ext_proc time to attach and hold the request, then cancel.
      await new Promise((r) => setTimeout(r, 500));
      const t0 = performance.now();
      expect((await cancel(stack.url, waiting.task_id)).status).toBe(204);
      const s = await held;
      expect(s.status).toBe(200);
      expect(validateSseTranscript(s.raw).issues).toEqual([]);
      expect(s.events).toHaveLength(1);
      expect(s.events[0]?.event).toBe('end');
      expect(s.events[0]?.data.reason).toBe('canceled');
      expect(performance.now() - t0).toBeLessThan(5_000);
      // The long task still runs: the cancel hit only the queued one.
      const cr = await cancel(stack.url, running.task_id);
      expect(cr.status).toBe(204);
      const r = await runningStream;
      expect(r && terminal(r.events)?.data.reason).toBe('canceled');
    }, 60_000);
  });

  it('ORCH-3028: tasks_canceled_total and tasks_rejected_total{reason} count what happened', async () => {
    const canceled = { reason: 'client' };
    // Lease outcomes of canceled streams arrive after their terminal event: poll, bounded.
    const samples = await waitFor(
      async () => {
        const now = (await scrape(stack.url)).samples;
        const d =
          total(now, 'tasks_canceled_total', canceled) -
          total(baseline, 'tasks_canceled_total', canceled);
        return d >= 3 ? now : undefined;
      },
      'three client cancels counted',
      10_000,
      250,
    ).catch(async () => (await scrape(stack.url)).samples);
    const delta = (name: string, match: Record<string, string> = {}): number =>
      total(samples, name, match) - total(baseline, name, match);
    // mid-stream, queued, and the long running one.
    expect(delta('tasks_canceled_total', { reason: 'client' })).toBe(3);
    expect(delta('tasks_rejected_total', { reason: 'ADMISSION_REJECT' })).toBe(1);
    // missing prompt + ctx over limit (+ the malformed body, if counted at all).
    expect(delta('tasks_rejected_total', { reason: 'INVALID_PARAMS' })).toBeGreaterThanOrEqual(2);
    expect(delta('tasks_enqueued_total')).toBe(3);
    expect(total(samples, 'queue_depth')).toBe(0);
  }, 30_000);
});
