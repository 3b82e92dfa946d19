import { randomUUID } from 'node:crypto';
import { validateResponse } from '@llama-orch/contracts';
import { canaryBucket } from '@llama-orch/core';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../http/app.js';
import { FakeSidecar, digestOf, taskRequest } from '../../test/support/sidecar-messages.js';
import { MODEL_REF, createHarness, register } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';
import type { ReloadTarget } from './reload-catalog.js';

const DIGEST_A = `sha256:${register().modelDigest}`;
const DIGEST_B = `sha256:${digestOf('model-b')}`;
const CATALOG: ReloadTarget[] = [
  { ref: MODEL_REF, path: '/models/a.gguf', digest: DIGEST_A },
  { ref: 'model-b', path: '/models/b.gguf', digest: DIGEST_B },
];

let h: Harness;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  h.close();
});

function fleet(n = 3): FakeSidecar[] {
  h = createHarness(200, undefined, {
    catalog: CATALOG,
    timings: { pollMs: 2, drainDeadlineMs: 200, replicaDeadlineMs: 2000 },
  });
  return Array.from({ length: n }, (_, i) => {
    const s = new FakeSidecar(h, {
      replicaId: `r${i + 1}`,
      advertiseAddress: `127.0.0.1:${8100 + i}`,
    });
    // The way back must reproduce model A's real digest, or the rollback never completes.
    s.behaviour = (r) => ({
      kind: 'ok',
      digest: r.newModelRef === MODEL_REF ? register().modelDigest : digestOf(r.newModelRef),
    });
    return s;
  });
}

/** One task with a known session id, held until placement decides; its decision kind. */
async function runTask(sessionId: string, id = randomUUID()): Promise<string> {
  h.tasks.submit(taskRequest({ task_id: id, session_id: sessionId }), 'default', 'corr');
  const decision = await h.director.decide(
    { method: 'GET', path: `/v1/tasks/${id}/stream`, taskId: id, correlationId: 'c', headers: {} },
    new AbortController().signal,
  );
  return decision.kind;
}

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const reload = () => h.pools.health('pool-a').reload;
const digests = (): string[] =>
  h.pools
    .health('pool-a')
    .replicas.map((r) => r.model_digest)
    .sort();

describe('ORCH-3033: canary reload with fake sidecars', () => {
  it('ORCH-3033: canary 0.1 on 3 replicas reloads r1 only and holds; 1000 tasks split by session hash, observed share 0.1 ± 0.03; health shows both sides', async () => {
    const sidecars = fleet();
    h.pools.reload('pool-a', { newModelRef: 'model-b', canaryShare: 0.1 });
    await until(() => reload()?.state === 'canary');
    expect(sidecars.map((s) => s.reloads.map((r) => r.newModelRef))).toEqual([['model-b'], [], []]);
    for (const s of sidecars) s.assigned.length = 0;
    const sessionOf = new Map<string, string>();
    const outcomes: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const session = randomUUID();
      const taskId = randomUUID();
      sessionOf.set(taskId, session);
      outcomes.push(await runTask(session, taskId));
    }
    expect(outcomes.filter((k) => k !== 'route')).toEqual([]);
    const canaryTasks = (sidecars[0] as FakeSidecar).assigned;
    const stableTasks = [...(sidecars[1]?.assigned ?? []), ...(sidecars[2]?.assigned ?? [])];
    expect(canaryTasks.length + stableTasks.length).toBe(1000);
    // Every task on the side its session bucket names (reproducible, sessions sticky).
    const wrongSide = [
      ...canaryTasks.filter((t) => canaryBucket(sessionOf.get(t) ?? '') >= 0.1),
      ...stableTasks.filter((t) => canaryBucket(sessionOf.get(t) ?? '') < 0.1),
    ];
    expect(wrongSide).toEqual([]);
    // Binomial(1000, 0.1): σ ≈ 9.5 tasks; ± 30 tasks is > 3σ (false failure < 0.3 %).
    const share = canaryTasks.length / 1000;
    expect(Math.abs(share - 0.1)).toBeLessThan(0.03);
    const health = h.pools.health('pool-a');
    expect(health.reload).toMatchObject({
      state: 'canary',
      phase: 'holding',
      replicas_done: 1,
      canary: {
        share: 0.1,
        canary_replicas: ['r1'],
        replicas: { canary: 1, stable: 2 },
        tasks: { canary: canaryTasks.length, stable: stableTasks.length },
      },
    });
    // Both sides count as Ready: the canary replica gets its share of work.
    expect(health.metrics.replicas_ready).toBe(3);
    expect(digests()).toEqual([DIGEST_A, DIGEST_A, DIGEST_B].sort());
    expect(validateResponse('getPoolHealth', 200, health).issues).toEqual([]);
    // While the canary holds, other control actions wait for it.
    expect(() => h.pools.reload('pool-a', { newModelRef: MODEL_REF })).toThrow(
      expect.objectContaining({ code: 'ADMISSION_REJECT', policyLabel: 'reload_in_progress' }),
    );
  });

  it('ORCH-3033: promote carries the reload to every replica (succeeded, model B everywhere); tasks keep flowing', async () => {
    const sidecars = fleet();
    h.pools.reload('pool-a', { newModelRef: 'model-b', canaryShare: 0.34 });
    await until(() => reload()?.state === 'canary');
    expect(h.pools.reloads.decideCanary('pool-a', 'promote')).toBe(reload()?.reload_id);
    const outcomes: string[] = [];
    while (reload()?.state === 'running') outcomes.push(await runTask(randomUUID()));
    expect(outcomes.filter((k) => k !== 'route')).toEqual([]);
    expect(reload()).toMatchObject({ state: 'succeeded', replicas_done: 3, error: null });
    expect(sidecars.map((s) => s.reloads.map((r) => r.newModelRef))).toEqual([
      ['model-b'],
      ['model-b'],
      ['model-b'],
    ]);
    expect(digests()).toEqual(Array(3).fill(DIGEST_B));
    expect(h.pools.health('pool-a').model_ref).toBe('model-b');
    expect(h.core.poolModel('pool-a')?.canary).toBeUndefined();
  });

  it('ORCH-3033: rollback in one call: no new task on the canary, r1 back to model A, reload rolled_back with no error; every task routed', async () => {
    const sidecars = fleet();
    h.pools.reload('pool-a', { newModelRef: 'model-b', canaryShare: 0.34 });
    await until(() => reload()?.state === 'canary');
    const r1 = sidecars[0] as FakeSidecar;
    h.pools.reloads.decideCanary('pool-a', 'rollback');
    const outcomes: string[] = [];
    while (reload()?.state === 'running') outcomes.push(await runTask(randomUUID()));
    const atEnd = r1.assigned.length;
    for (let i = 0; i < 20; i++) outcomes.push(await runTask(randomUUID()));
    expect(outcomes.filter((k) => k !== 'route')).toEqual([]);
    expect(reload()).toMatchObject({ state: 'rolled_back', error: null, replicas_done: 0 });
    expect(reload()?.replicas.map((r) => r.state)).toEqual(['rolled_back', 'pending', 'pending']);
    expect(r1.reloads.map((r) => r.newModelRef)).toEqual(['model-b', MODEL_REF]);
    expect(r1.assignedWhileReloading).toBe(0);
    expect(digests()).toEqual(Array(3).fill(DIGEST_A));
    const health = h.pools.health('pool-a');
    expect(health.model_ref).toBe(MODEL_REF);
    expect(health.last_error).toBeNull();
    expect(health.metrics.replicas_ready).toBe(3);
    // r1 serves model A again: tasks after the rollback reach it too.
    expect(r1.assigned.length).toBeGreaterThan(atEnd);
    expect(h.core.poolModel('pool-a')?.canary).toBeUndefined();
    expect(validateResponse('getPoolHealth', 200, health).issues).toEqual([]);
  });

  it('ORCH-3033: canary refused with 1 replica; promote/rollback without a canary → INVALID_PARAMS reload.not_canary; unknown pool → NOT_FOUND', () => {
    fleet(1);
    expect(() => h.pools.reload('pool-a', { newModelRef: 'model-b', canaryShare: 0.5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMS', policyLabel: 'reload.canary' }),
    );
    for (const d of ['promote', 'rollback'] as const) {
      expect(() => h.pools.reloads.decideCanary('pool-a', d)).toThrow(
        expect.objectContaining({ code: 'INVALID_PARAMS', policyLabel: 'reload.not_canary' }),
      );
      expect(() => h.pools.reloads.decideCanary('nope', d)).toThrow(
        expect.objectContaining({ code: 'NOT_FOUND' }),
      );
    }
  });

  it('ORCH-3033: over REST: canary_share, promote and rollback routes answer 202/400/404 as the contract says', async () => {
    fleet(2);
    app = buildHttpApp({ tasks: h.tasks, pools: h.pools, metrics: h.metrics });
    const post = (url: string, payload?: object) =>
      (app as FastifyInstance).inject({ method: 'POST', url, ...(payload ? { payload } : {}) });
    const none = await post('/v1/pools/pool-a/rollback');
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({
      code: 'INVALID_PARAMS',
      policy_label: 'reload.not_canary',
    });
    expect(validateResponse('rollbackPool', 400, none.json()).issues).toEqual([]);
    const unknown = await post('/v1/pools/nope/reload/promote');
    expect(unknown.statusCode).toBe(404);
    const badShare = await post('/v1/pools/pool-a/reload', {
      new_model_ref: 'model-b',
      canary_share: 1.5,
    });
    expect(badShare.statusCode).toBe(400);
    const started = await post('/v1/pools/pool-a/reload', {
      new_model_ref: 'model-b',
      canary_share: 0.5,
    });
    expect(started.statusCode).toBe(202);
    await until(() => reload()?.state === 'canary');
    const rolled = await post('/v1/pools/pool-a/rollback');
    expect(rolled.statusCode).toBe(202);
    expect(rolled.json()).toEqual({
      pool_id: 'pool-a',
      action: 'rollback',
      reload_id: started.json().reload_id,
    });
    expect(validateResponse('rollbackPool', 202, rolled.json()).issues).toEqual([]);
    await until(() => reload()?.state === 'rolled_back');
    expect((await post('/v1/pools/pool-a/reload/promote')).statusCode).toBe(400);
  });
});
