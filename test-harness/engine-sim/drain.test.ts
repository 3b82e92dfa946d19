// E2E (issue 8, ORCH-2101): drain a pool of 3 simulated replicas behind the real stack (Envoy,
// placement, sidecars). In-flight tasks finish without errors, nothing is dispatched after the
// drain, new tasks are refused, and a task still running at the (shortened) deadline ends with a
// terminal `end{reason: canceled}` pushed by placement's Cancel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, run, submit, taskBody, terminal, waitFor } from '../e2e/helpers/client.js';
import type { StreamEvent } from '../e2e/helpers/client.js';
import { generate, tokenize } from './model.js';
import { startSimStack, type SimStack } from './sim-stack.js';

const REPLICAS = 3;
let stack: SimStack;

beforeAll(async () => {
  const t0 = Date.now();
  stack = await startSimStack({
    replicas: REPLICAS,
    sim: { itlMs: 25 },
    log: (m) => process.stdout.write(`[drain +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`),
  });
}, 360_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

const served = (): number[] => stack.sims.map((s) => s.engine.counters.requests);

function body(i: number, over: Parameters<typeof taskBody>[0] = {}) {
  return taskBody({
    model_ref: stack.modelRef,
    determinism: 'best_effort',
    max_tokens: 16,
    seed: 2000 + i,
    prompt: `Once upon a time, task ${i % 5} began`,
    ...over,
  });
}

interface Health {
  draining: boolean;
  ready: boolean;
  replicas: { replica_id: string; ready: boolean; unready_reason?: string }[];
}

async function health(): Promise<Health> {
  const res = await fetch(`${stack.restUrl}/v1/pools/${stack.poolId}/health`);
  return (await res.json()) as Health;
}

const drain = (deadlineMs: number) =>
  postJson(`${stack.restUrl}/v1/pools/${stack.poolId}/drain`, { deadline_ms: deadlineMs });

describe('ORCH-2101: draining a pool of simulated replicas through the real stack', () => {
  it('ORCH-2103: all 3 replicas Ready, and a stream of tasks all end without errors', async () => {
    const h = await health();
    expect(h.replicas.map((r) => r.ready)).toEqual([true, true, true]);
    expect(h.draining).toBe(false);
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => run(stack.url, body(i), { timeoutMs: 60_000 })),
    );
    for (const r of results) expect(terminal(r.stream.events)?.event).toBe('end');
  }, 90_000);

  it('ORCH-2101: in-flight tasks finish, nothing is dispatched after the drain, the overdue one is canceled at the deadline', async () => {
    const prompt = 'Once upon a time, in a long story,';
    let seed = 1;
    while (generate(1, seed, tokenize(prompt), 0.8, 64).tokens.length < 40) seed++;
    // ~200 ms per token: the long task runs for seconds, the short ones for under one.
    for (const s of stack.sims) s.setFaults({ slowTokens: 8 });
    try {
      const first = new Map<string, boolean>();
      const onEvent = (id: string) => (ev: StreamEvent) => {
        if (ev.event === 'token') first.set(id, true);
      };
      const long = body(100, { max_tokens: 64, prompt, seed });
      const shorts = [body(101, { max_tokens: 4 }), body(102, { max_tokens: 4 })];
      const runs = [long, ...shorts].map((b) =>
        run(stack.url, b, { timeoutMs: 60_000, onEvent: onEvent(b.task_id) }),
      );
      await waitFor(
        async () => (first.size === 3 ? true : undefined),
        'a first token on all three tasks',
        30_000,
        20,
      );
      const accepted = await drain(60_000);
      expect(accepted.status).toBe(202);
      expect(accepted.body).toEqual({ pool_id: stack.poolId, action: 'drain' });
      const before = served();

      const refused = await submit(stack.url, body(103));
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: 'POOL_UNREADY' });
      const during = await health();
      expect(during.draining).toBe(true);
      expect(during.ready).toBe(false);
      expect(
        during.replicas.some((r) => /^Draining: 1 running lease/.test(r.unready_reason ?? '')),
      ).toBe(true);

      const [longRun, ...shortRuns] = runs;
      for (const r of await Promise.all(shortRuns)) {
        const end = terminal(r.stream.events);
        expect(end?.event, JSON.stringify(end?.data)).toBe('end');
        expect(end?.data.reason).not.toBe('canceled');
      }
      // Draining again is 202 and may only shorten the deadline: the long task is now overdue.
      expect((await drain(300)).status).toBe(202);
      const cut = await longRun;
      const end = terminal(cut?.stream.events ?? []);
      expect(end?.event, JSON.stringify(end?.data)).toBe('end');
      expect(end?.data.reason).toBe('canceled');

      const after = await waitFor(
        async () => {
          const h = await health();
          return h.replicas.every((r) => /^Drained/.test(r.unready_reason ?? '')) ? h : undefined;
        },
        'every replica Drained',
        15_000,
        200,
      );
      expect(after.replicas).toHaveLength(REPLICAS);
      expect(served()).toEqual(before);
    } finally {
      for (const s of stack.sims) s.setFaults({});
    }
  }, 120_000);
});
