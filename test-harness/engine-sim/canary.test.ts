// E2E canary (ORCH-3033) through the real stack (Envoy, placement, supervised sidecars launching
// the engine-sim llama-server shim on model files). Three replicas Ready on model A and a steady
// stream of tasks through Envoy the whole time. A canary reload to model B with share 0.34
// reloads one replica and holds: both digests serve, each task goes to the side its session hash
// names (the canary replica's started count equals the number of finished tasks whose bucket is
// below the share, up to the tasks in flight at the window's edges), no task fails. Then one
// rollback call: model A everywhere, no task fails. A second canary is promoted: model B on every
// replica, no task fails. Prints the observed share and the wall times.
import { canaryBucket } from '@llama-orch/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, sleep } from '../e2e/helpers/client.js';
import { startSimStack, type SimStack } from './sim-stack.js';
import {
  SteadyLoad,
  modelDigest,
  poolHealth,
  startedPerReplica,
  stepLogger,
} from './steady-load.js';

const REPLICAS = 3;
const SHARE = 0.34;
const WORKERS = 3;
let stack: SimStack;
const say = stepLogger('canary');

beforeAll(async () => {
  stack = await startSimStack({
    replicas: REPLICAS,
    supervised: { models: [{ ref: 'sim-a' }, { ref: 'sim-b' }] },
    log: say,
  });
}, 120_000);

afterAll(async () => {
  await load?.stop();
  await stack?.close();
}, 60_000);

interface Health {
  model_ref?: string;
  replicas: { replica_id: string; ready: boolean; model_digest: string }[];
  reload?: {
    reload_id: string;
    state: string;
    error: unknown;
    replicas: { replica_id: string; state: string; wall_ms?: number }[];
    canary?: {
      share: number;
      canary_replicas: string[];
      replicas: { canary: number; stable: number };
      tasks: { canary: number; stable: number };
    };
  };
}

const health = (): Promise<Health> => poolHealth<Health>(stack);
const digestOf = (ref: string): string => modelDigest(stack, ref);

let load: SteadyLoad | undefined;

async function until(what: string, pred: (h: Health) => boolean, ms = 40_000): Promise<Health> {
  const end = Date.now() + ms;
  for (;;) {
    const h = await health();
    if (pred(h)) return h;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(h)}`);
    await sleep(100);
  }
}

describe('ORCH-3033: canary reload and one-call rollback through the real stack', () => {
  it('ORCH-3033: canary 0.34 → one replica on model B, both digests serve, tasks split by session hash, zero failed', async () => {
    const h0 = await health();
    expect(h0.replicas.map((r) => r.ready)).toEqual([true, true, true]);
    load = new SteadyLoad(stack.url, WORKERS, 'sim-a');
    await sleep(500);
    const started = Date.now();
    const res = await postJson(`${stack.restUrl}/v1/pools/${stack.poolId}/reload`, {
      new_model_ref: 'sim-b',
      canary_share: SHARE,
      drain_deadline_ms: 10_000,
      replica_deadline_ms: 30_000,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const h = await until('the canary hold', (x) => x.reload?.state === 'canary');
    const holdMs = Date.now() - started;
    const canaryReplica = h.reload?.canary?.canary_replicas[0] ?? '';
    expect(h.reload?.canary?.canary_replicas).toEqual([canaryReplica]);
    expect(new Set(h.replicas.map((r) => r.model_digest))).toEqual(
      new Set([digestOf('sim-a'), digestOf('sim-b')]),
    );
    expect(h.replicas.find((r) => r.replica_id === canaryReplica)?.model_digest).toBe(
      digestOf('sim-b'),
    );
    expect(h.replicas.every((r) => r.ready)).toBe(true);
    expect(h.reload?.canary?.replicas).toEqual({ canary: 1, stable: 2 });

    // A window of steady load while the canary holds.
    const l = load;
    const before = await startedPerReplica(stack.restUrl);
    const from = l.sessions.length;
    await sleep(6000);
    const after = await startedPerReplica(stack.restUrl);
    const window = l.sessions.slice(from);
    const delta = (id: string): number => (after.get(id) ?? 0) - (before.get(id) ?? 0);
    const onCanary = delta(canaryReplica);
    const total = [...after.keys()].reduce((n, id) => n + delta(id), 0);
    const expected = window.filter((s) => canaryBucket(s) < SHARE).length;
    const hh = await health();
    const split = hh.reload?.canary?.tasks ?? { canary: 0, stable: 0 };
    const observed = split.canary / Math.max(1, split.canary + split.stable);
    say(
      `canary hold after ${holdMs} ms; window: ${total} tasks started, ${onCanary} on the canary ` +
        `(${((100 * onCanary) / Math.max(1, total)).toFixed(1)} %), ${expected} of ${window.length} ` +
        `finished tasks hash below ${SHARE}; whole hold: ${split.canary} canary / ${split.stable} ` +
        `stable = ${(100 * observed).toFixed(1)} %; failed ${l.failures.length}`,
    );
    expect(total).toBeGreaterThan(20);
    // Each task goes to its hash's side: the canary's started count matches the finished tasks
    // whose bucket is below the share, up to the tasks in flight at either edge of the window.
    expect(Math.abs(onCanary - expected)).toBeLessThanOrEqual(2 * WORKERS);
    // Both sides got work; the split follows the share (σ ≈ 0.05 for ~100 tasks; 0.2 is 4σ).
    expect(onCanary).toBeGreaterThan(0);
    expect(total - onCanary).toBeGreaterThan(0);
    expect(Math.abs(observed - SHARE)).toBeLessThan(0.2);
    expect(l.failures).toEqual([]);
  }, 60_000);

  it('ORCH-3033: one rollback call → canary replica back on model A, old digest everywhere, zero failed', async () => {
    const l = load as SteadyLoad;
    const started = Date.now();
    const res = await postJson(`${stack.restUrl}/v1/pools/${stack.poolId}/rollback`, {});
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ action: 'rollback' });
    const h = await until('the rollback', (x) => x.reload?.state !== 'running');
    const wallMs = Date.now() - started;
    expect(h.reload?.state).toBe('rolled_back');
    expect(h.reload?.error).toBeNull();
    expect(h.model_ref).toBe('sim-a');
    expect(h.replicas.map((r) => r.model_digest)).toEqual(Array(REPLICAS).fill(digestOf('sim-a')));
    const ready = await until(
      'every replica Ready',
      (x) => x.replicas.every((r) => r.ready),
      10_000,
    );
    expect(ready.replicas.length).toBe(REPLICAS);
    const rolled = h.reload?.replicas.find((r) => r.state === 'rolled_back');
    say(
      `rollback in ${wallMs} ms (${rolled?.replica_id} ${rolled?.wall_ms ?? '-'} ms); ` +
        `tasks so far: ${l.sessions.length} ok, ${l.failures.length} failed`,
    );
    expect(l.failures).toEqual([]);
    // A second rollback has nothing to undo: a typed 400, not a 5xx.
    const again = await postJson(`${stack.restUrl}/v1/pools/${stack.poolId}/rollback`, {});
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: 'INVALID_PARAMS', policy_label: 'reload.not_canary' });
  }, 60_000);

  it('ORCH-3033: canary again, then promote → model B on every replica (succeeded), zero failed', async () => {
    const l = load as SteadyLoad;
    const started = Date.now();
    const res = await postJson(`${stack.restUrl}/v1/pools/${stack.poolId}/reload`, {
      new_model_ref: 'sim-b',
      canary_share: SHARE,
      drain_deadline_ms: 10_000,
      replica_deadline_ms: 30_000,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await until('the canary hold', (x) => x.reload?.state === 'canary');
    await sleep(1000);
    const promoted = await postJson(`${stack.restUrl}/v1/pools/${stack.poolId}/reload/promote`, {});
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(202);
    const h = await until('the promotion', (x) => x.reload?.state !== 'running');
    const wallMs = Date.now() - started;
    expect(h.reload?.state).toBe('succeeded');
    expect(h.model_ref).toBe('sim-b');
    expect(h.replicas.map((r) => r.model_digest)).toEqual(Array(REPLICAS).fill(digestOf('sim-b')));
    await sleep(500);
    await l.stop();
    const steps = (h.reload?.replicas ?? []).map((r) => `${r.replica_id} ${r.wall_ms ?? '-'} ms`);
    say(
      `canary + promote in ${wallMs} ms (per replica: ${steps.join(', ')}); ` +
        `load total: ${l.sessions.length} tasks ok, ${l.failures.length} failed`,
    );
    expect(l.failures).toEqual([]);
  }, 60_000);
});
