import { randomUUID } from 'node:crypto';
import { validateResponse } from '@llama-orch/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FakeSidecar,
  digestOf,
  runTask as runTaskOn,
} from '../../test/support/sidecar-messages.js';
import { MODEL_REF, createHarness, register } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';
import type { ReloadTarget } from './reload-catalog.js';

const DIGEST_A = register().modelDigest;
const CATALOG: ReloadTarget[] = [
  { ref: MODEL_REF, path: '/models/a.gguf', digest: `sha256:${DIGEST_A}` },
  { ref: 'model-b', path: '/models/b.gguf', digest: `sha256:${digestOf('model-b')}` },
  { ref: 'model-bad', path: '/models/bad.gguf' },
];
const TIMINGS = { pollMs: 2, drainDeadlineMs: 200, replicaDeadlineMs: 2000 };

let h: Harness;
afterEach(() => h.close());

function fleet(n = 3): FakeSidecar[] {
  h = createHarness(200, undefined, { catalog: CATALOG, timings: TIMINGS });
  return Array.from(
    { length: n },
    (_, i) =>
      new FakeSidecar(h, { replicaId: `r${i + 1}`, advertiseAddress: `127.0.0.1:${8100 + i}` }),
  );
}

const runTask = (modelRef: string): Promise<string> => runTaskOn(h, modelRef);

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const reloadState = (): string | undefined => h.pools.health('pool-a').reload?.state;
const digests = (): string[] =>
  h.pools
    .health('pool-a')
    .replicas.map((r) => r.model_digest)
    .sort();
/** Ready for placement: stream up, heartbeat ready, not drained (by a pool or a reload step). */
const readyNow = (): string[] =>
  h.registry
    .list()
    .filter((r) => h.registry.isReady(r) && h.core.replicaDrainDeadline(r.replicaId) === undefined)
    .map((r) => r.replicaId);

describe('ORCH-2102/ORCH-3031/ORCH-3033: rolling reload with fake sidecars', () => {
  it('ORCH-3031: reload succeeds one replica at a time, ≥ 2 Ready throughout, tasks keep flowing, digest changes everywhere', async () => {
    const sidecars = fleet();
    const samples: { reloading: string; ready: string[]; serving: number; standby: string[] }[] =
      [];
    for (const s of sidecars) {
      s.onReload = (r) =>
        samples.push({
          reloading: `${s.replicaId}:${r.newModelRef}`,
          ready: readyNow(),
          serving: h.core.snapshot().replicas.filter((x) => x.serving).length,
          standby: h.pools
            .health('pool-a')
            .replicas.filter((x) => x.unready_reason?.includes('standby on the reload target'))
            .map((x) => x.replica_id),
        });
    }
    const id = h.pools.reload('pool-a', { newModelRef: 'model-b' });
    expect(reloadState()).toBe('running');
    const outcomes: string[] = [];
    while (reloadState() === 'running') outcomes.push(await runTask(MODEL_REF));
    expect(reloadState()).toBe('succeeded');
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.filter((k) => k !== 'route')).toEqual([]);
    // One at a time, in replica order; the other two Ready each time; someone always serving.
    expect(samples.map((s) => s.reloading)).toEqual(['r1:model-b', 'r2:model-b', 'r3:model-b']);
    // Identities never mix (ORCH-3007): r1 waits on model B until the old set has no Ready
    // replica (r3 drained), then r1 and r2 serve.
    expect(samples.map((s) => s.standby)).toEqual([[], ['r1'], []]);
    for (const s of samples) {
      expect(s.ready).not.toContain(s.reloading.split(':')[0]);
      expect(s.ready.length).toBeGreaterThanOrEqual(2);
      expect(s.serving).toBeGreaterThanOrEqual(1);
    }
    const reload = sidecars[0]?.reloads[0];
    expect(reload).toMatchObject({
      newModelPath: '/models/b.gguf',
      newModelDigest: `sha256:${digestOf('model-b')}`,
    });
    expect(reload?.reloadId.startsWith(`${id}:`)).toBe(true);
    expect(digests()).toEqual(Array(3).fill(`sha256:${digestOf('model-b')}`));
    expect(sidecars.map((s) => s.assignedWhileReloading)).toEqual([0, 0, 0]);
    expect(sidecars.every((s) => s.assigned.length > 0)).toBe(true);
    const health = h.pools.health('pool-a');
    expect(health.model_ref).toBe('model-b');
    expect(health.reload).toMatchObject({ state: 'succeeded', replicas_done: 3, error: null });
    expect(
      health.reload?.replicas.every((r) => r.state === 'done' && typeof r.wall_ms === 'number'),
    ).toBe(true);
    expect(health.metrics.replicas_ready).toBe(3);
    expect(validateResponse('getPoolHealth', 200, health).issues).toEqual([]);
    // New ref served; old ref still answered during the alias grace period.
    expect(await runTask('model-b')).toBe('route');
    expect(await runTask(MODEL_REF)).toBe('route');
  });

  it('ORCH-3033: replica 2 fails its self-test → r1 and r2 roll back to the old model in one action; r3 untouched', async () => {
    const sidecars = fleet();
    const r2 = sidecars[1] as FakeSidecar;
    r2.behaviour = (r) =>
      r.newModelRef === 'model-b'
        ? { kind: 'fail', step: 'decode', message: 'canary mismatch' }
        : { kind: 'ok', digest: DIGEST_A };
    for (const s of [sidecars[0], sidecars[2]]) {
      if (s)
        s.behaviour = (r) => ({
          kind: 'ok',
          digest: r.newModelRef === MODEL_REF ? DIGEST_A : digestOf(r.newModelRef),
        });
    }
    h.pools.reload('pool-a', { newModelRef: 'model-b' });
    const outcomes: string[] = [];
    while (reloadState() === 'running') outcomes.push(await runTask(MODEL_REF));
    expect(outcomes.filter((k) => k !== 'route')).toEqual([]);
    const health = h.pools.health('pool-a');
    expect(health.reload).toMatchObject({
      state: 'rolled_back',
      error: { replica_id: 'r2', failed_step: 'decode' },
    });
    expect(health.reload?.replicas.map((r) => r.state)).toEqual([
      'rolled_back',
      'rolled_back',
      'pending',
    ]);
    // Rollback order: the failed replica first, then the switched one.
    expect(sidecars.map((s) => s.reloads.map((r) => r.newModelRef))).toEqual([
      ['model-b', MODEL_REF],
      ['model-b', MODEL_REF],
      [],
    ]);
    expect(digests()).toEqual(Array(3).fill(`sha256:${DIGEST_A}`));
    expect(health.model_ref).toBe(MODEL_REF);
    expect(health.last_error?.message).toContain('self-test decode: canary mismatch');
    expect(health.metrics.replicas_ready).toBe(3);
    expect(validateResponse('getPoolHealth', 200, health).issues).toEqual([]);
    // The failed target's ref is not served.
    await expect(
      h.tasks.submit(
        {
          task_id: randomUUID(),
          session_id: randomUUID(),
          workload: 'completion',
          model_ref: 'model-b',
          engine: 'llamacpp',
          ctx: 512,
          priority: 'interactive',
          max_tokens: 4,
          deadline_ms: 0,
          prompt: 'hi',
        },
        'default',
        'corr',
      ),
    ).rejects.toThrow(/model-b/);
  });

  it('ORCH-3031: a replica that never comes back Ready by the deadline fails the reload with step "deadline" and is rolled back', async () => {
    const sidecars = fleet(2);
    const r1 = sidecars[0] as FakeSidecar;
    let attempts = 0;
    r1.behaviour = (r) =>
      ++attempts === 1
        ? { kind: 'silent' }
        : { kind: 'ok', digest: r.newModelRef === MODEL_REF ? DIGEST_A : digestOf(r.newModelRef) };
    h.pools.reload('pool-a', { newModelRef: 'model-b', replicaDeadlineMs: 1000 });
    await until(() => r1.reloads.length === 1);
    h.now.t += 1001;
    for (const s of sidecars) s.heartbeat(s !== r1);
    await until(() => reloadState() !== 'running');
    const health = h.pools.health('pool-a');
    expect(health.reload).toMatchObject({
      state: 'rolled_back',
      error: { replica_id: 'r1', failed_step: 'deadline' },
    });
    expect(r1.reloads.map((r) => r.newModelRef)).toEqual(['model-b', MODEL_REF]);
    expect(sidecars[1]?.reloads).toEqual([]);
    expect(digests()).toEqual(Array(2).fill(`sha256:${DIGEST_A}`));
  });

  it('ORCH-2102: a pool without replicas switches its model at once; replicas of the old model no longer serve it', async () => {
    fleet(0);
    h.pools.reload('pool-a', { newModelRef: 'model-b' });
    await until(() => reloadState() !== 'running');
    expect(h.pools.health('pool-a')).toMatchObject({
      model_ref: 'model-b',
      reload: { state: 'succeeded', replicas_total: 0, replicas_done: 0 },
    });
    new FakeSidecar(h, { replicaId: 'late' });
    expect(h.pools.health('pool-a').metrics.replicas_ready).toBe(0);
    new FakeSidecar(h, {
      replicaId: 'late-b',
      modelRef: 'model-b',
      modelDigest: digestOf('model-b'),
      advertiseAddress: '127.0.0.1:8111',
    });
    expect(h.pools.health('pool-a').metrics.replicas_ready).toBe(1);
  });

  it('ORCH-2102: unknown pool → NOT_FOUND, unconfigured target or contradicting digest → INVALID_PARAMS, second reload → ADMISSION_REJECT reload_in_progress', async () => {
    const sidecars = fleet(1);
    expect(() => h.pools.reload('nope', { newModelRef: 'model-b' })).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(() => h.pools.reload('pool-a', { newModelRef: 'hf:other' })).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMS' }),
    );
    expect(() =>
      h.pools.reload('pool-a', {
        newModelRef: 'model-b',
        newModelDigest: `sha256:${'0'.repeat(64)}`,
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_PARAMS' }));
    (sidecars[0] as FakeSidecar).behaviour = () => ({ kind: 'silent' });
    h.pools.reload('pool-a', { newModelRef: 'model-b' });
    expect(() => h.pools.reload('pool-a', { newModelRef: MODEL_REF })).toThrow(
      expect.objectContaining({ code: 'ADMISSION_REJECT', policyLabel: 'reload_in_progress' }),
    );
    expect(() => h.pools.undrain('pool-a')).toThrow(
      expect.objectContaining({ code: 'ADMISSION_REJECT' }),
    );
  });
});
