// E2E: 16 simulated engines behind the real stack (Envoy, placement, 16 sidecars in external mode
// driving the unchanged llama.cpp adapter). Tasks go through Envoy only and spread over every
// replica. The simulator is cheap enough for 16 replicas on 2 cores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancel, run, taskBody, terminal, tokenText, waitFor } from '../e2e/helpers/client.js';
import { generate, tokenize } from './model.js';
import { startSimStack, type SimStack } from './sim-stack.js';

const REPLICAS = 16;
let stack: SimStack;
let baseline: number[] = [];

beforeAll(async () => {
  const t0 = Date.now();
  stack = await startSimStack({
    replicas: REPLICAS,
    // Startup exercises the sidecar's wait on /health 503 "Loading model".
    sim: { itlMs: 25, startupMs: 1500 },
    log: (m) =>
      process.stdout.write(`[sim-fleet +${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`),
  });
  // Canary and cancel self-test requests happened during startup; count only tasks from here.
  baseline = stack.sims.map((s) => s.engine.counters.requests);
}, 360_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

const served = (): number[] =>
  stack.sims.map((s, i) => s.engine.counters.requests - (baseline[i] ?? 0));

function body(i: number, over: Parameters<typeof taskBody>[0] = {}) {
  return taskBody({
    model_ref: stack.modelRef,
    determinism: 'best_effort',
    max_tokens: 24,
    seed: 1000 + i,
    prompt: `Once upon a time, task ${i % 7} began`,
    ...over,
  });
}

describe('ORCH-3008: 16 simulated replicas behind the real stack', () => {
  it('ORCH-4020: every replica is Ready, reports a sim- engine_version and the simulated feature', async () => {
    const caps = (await (await fetch(`${stack.url}/v1/capabilities`)).json()) as {
      engines: { engine: string; engine_versions: string[]; features: string[]; slots: number }[];
    };
    const llama = caps.engines.find((e) => e.engine === 'llamacpp');
    expect(llama?.engine_versions).toEqual(['sim-0.1.0']);
    expect(llama?.features).toContain('simulated');
    expect(llama?.slots).toBe(REPLICAS);
  });

  it('ORCH-3008: 48 concurrent tasks through Envoy all end, spread over all 16 replicas', async () => {
    const results = await Promise.all(
      Array.from({ length: 48 }, (_, i) => run(stack.url, body(i), { timeoutMs: 120_000 })),
    );
    for (const r of results) {
      expect(r.admission.status).toBe(202);
      const end = terminal(r.stream.events);
      expect(end?.event, JSON.stringify(end?.data)).toBe('end');
      expect(Number(end?.data.tokens_out)).toBeGreaterThan(0);
    }
    const perReplica = served();
    process.stdout.write(`[sim-fleet] tasks per replica: ${perReplica.join(' ')}\n`);
    expect(perReplica.reduce((a, b) => a + b, 0)).toBe(48);
    expect(perReplica.filter((n) => n > 0)).toHaveLength(REPLICAS);
  }, 180_000);

  it('ORCH-3050: a fixed seed gives the same stream on whichever replica serves it', async () => {
    const [a, b] = await Promise.all([
      run(stack.url, body(1, { seed: 777, prompt: 'The capital of France is' })),
      run(stack.url, body(2, { seed: 777, prompt: 'The capital of France is' })),
    ]);
    expect(tokenText(a.stream.events).length).toBeGreaterThan(0);
    expect(tokenText(a.stream.events)).toBe(tokenText(b.stream.events));
  }, 60_000);

  it('ORCH-2028: an engine error mid-stream reaches the client as a coded error event', async () => {
    for (const s of stack.sims)
      s.setFaults({ errorMidStream: { afterTokens: 3, message: 'simulated decode failure' } });
    try {
      const r = await run(stack.url, body(3), { timeoutMs: 60_000 });
      const err = terminal(r.stream.events);
      expect(err?.event).toBe('error');
      expect(err?.data).toMatchObject({ code: 'INTERNAL', engine: 'llamacpp' });
      expect(r.stream.events.filter((e) => e.event === 'token')).toHaveLength(3);
    } finally {
      for (const s of stack.sims) s.setFaults({});
    }
  }, 60_000);

  it('ORCH-4013: a cancel on an engine that ignores disconnects keeps that replica unready until its slot frees', async () => {
    // Slow decode so the ignored cancel outlives the sidecar's 3 s slot-idle deadline: pick a
    // seed whose simulated output is long (the sim is deterministic; the sidecar samples with
    // the v1 profile, temperature 0.8).
    const prompt = 'Once upon a time, in a long story,';
    let seed = 1;
    while (generate(1, seed, tokenize(prompt), 0.8, 64).tokens.length < 40) seed++;
    for (const s of stack.sims) s.setFaults({ ignoreCancel: true, slowTokens: 8 });
    try {
      const b = body(4, { max_tokens: 64, prompt, seed });
      let canceled: Promise<unknown> | undefined;
      const r = await run(stack.url, b, {
        timeoutMs: 60_000,
        onEvent: (ev) => {
          if (ev.event === 'token') canceled ??= cancel(stack.url, b.task_id);
        },
      });
      await canceled;
      expect(terminal(r.stream.events)?.data).toMatchObject({ reason: 'canceled' });
      const busy = await waitFor(
        async () => {
          const h = await poolHealth();
          return h.find((x) => !x.ready && /slot still busy/.test(x.unready_reason ?? ''));
        },
        'a replica unready with a busy slot',
        15_000,
      );
      expect(busy?.replica_id).toMatch(/^default-r\d+$/);
      // The simulated decode runs to its end, the slot frees, the sidecar turns Ready again.
      await waitFor(
        async () => ((await poolHealth()).every((x) => x.ready) ? true : undefined),
        'every replica Ready again',
        45_000,
      );
    } finally {
      for (const s of stack.sims) s.setFaults({});
    }
  }, 90_000);

  it('ORCH-3038: a crashed engine makes its replica unready; new tasks still all finish on the others', async () => {
    stack.sims[0]?.crash();
    await waitFor(
      async () => {
        const h = await poolHealth();
        return h.find((x) => x.replica_id === stack.replicaId(0) && !x.ready);
      },
      'replica 0 unready after its engine crashed',
      20_000,
    );
    const before = served();
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => run(stack.url, body(100 + i), { timeoutMs: 120_000 })),
    );
    for (const r of results) expect(terminal(r.stream.events)?.event).toBe('end');
    const after = served();
    expect(after[0]).toBe(before[0]);
    expect(after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0)).toBe(16);
  }, 180_000);
});

interface ReplicaHealth {
  replica_id: string;
  ready: boolean;
  unready_reason?: string;
}

async function poolHealth(): Promise<ReplicaHealth[]> {
  const res = await fetch(`${stack.restUrl}/v1/pools/${stack.poolId}/health`);
  return ((await res.json()) as { replicas?: ReplicaHealth[] }).replicas ?? [];
}
