import { describe, expect, it } from 'vitest';
import { canaryBucket } from '../index.js';
import { MODEL, baseConfig, manualClock, replica, scheduler, spec } from '../../test/fixtures.js';

const NEW = 'hf:test/model-b';
const servingOf = (s: ReturnType<typeof scheduler>['sched']): string[] =>
  s
    .snapshot()
    .replicas.filter((r) => r.serving)
    .map((r) => r.replicaId);

describe('ORCH-3031/ORCH-2102: model transition of a pool during a reload', () => {
  it('ORCH-3031: target replicas are eligible only during the transition, and serve only once the old set has no Ready replica', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    sched.upsertReplica(replica('r2'));
    const b = (id: string) => replica(id, { model_ref: NEW, model_digest: 'sha256:bb' });
    // Without a transition a replica of another model never serves.
    sched.upsertReplica(b('r3'));
    expect(servingOf(sched)).toEqual(['r1', 'r2']);
    sched.beginModelTransition('pool-a', { modelRef: NEW, modelDigest: 'sha256:bb' });
    sched.drainReplica('r1', 0);
    sched.upsertReplica(b('r1'));
    sched.undrainReplica('r1');
    // Sticky: the old set still has r2 Ready, so it keeps serving; identities never mix.
    expect(servingOf(sched)).toEqual(['r2']);
    sched.drainReplica('r2', 0);
    expect(servingOf(sched).sort()).toEqual(['r1', 'r3']);
    // Tasks may name either ref during the transition.
    expect(sched.admit(spec('t-old'), 'default').ok).toBe(true);
    expect(sched.admit(spec('t-new', { model_ref: NEW }), 'default').ok).toBe(true);
    expect(sched.poolModel('pool-a')).toEqual({
      modelRef: MODEL,
      modelDigest: undefined,
      transition: { modelRef: NEW, modelDigest: 'sha256:bb' },
    });
  });

  it('ORCH-2102: commit switches the pool model and keeps the old ref as an alias for the grace period only', () => {
    const clock = manualClock();
    const { sched } = scheduler(baseConfig(), clock);
    sched.upsertReplica(replica('r1', { model_ref: NEW, model_digest: 'sha256:bb' }));
    sched.beginModelTransition('pool-a', { modelRef: NEW, modelDigest: 'sha256:bb' });
    sched.endModelTransition('pool-a', true, 1000);
    expect(sched.poolModel('pool-a')).toEqual({ modelRef: NEW, modelDigest: 'sha256:bb' });
    expect(servingOf(sched)).toEqual(['r1']);
    expect(sched.admit(spec('t1'), 'default').ok).toBe(true);
    clock.advance(1001);
    const late = sched.admit(spec('t2'), 'default');
    // ORCH-2013: no pool serves the old ref any more, so it is an unknown resource.
    expect(late.ok ? 'admitted' : late.error.code).toBe('NOT_FOUND');
    // The digest is now pinned: a replica of the new ref with another digest is not eligible.
    sched.upsertReplica(replica('r2', { model_ref: NEW, model_digest: 'sha256:cc' }));
    expect(servingOf(sched)).toEqual(['r1']);
  });

  it('ORCH-3033: abort (rollback) forgets the target: its replicas stop serving, its ref is refused', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    sched.upsertReplica(replica('r2', { model_ref: NEW, model_digest: 'sha256:bb' }));
    sched.beginModelTransition('pool-a', { modelRef: NEW });
    sched.drainReplica('r1', 0);
    expect(servingOf(sched)).toEqual(['r2']);
    sched.undrainReplica('r1');
    sched.endModelTransition('pool-a', false);
    expect(servingOf(sched)).toEqual(['r1']);
    const res = sched.admit(spec('t1', { model_ref: NEW }), 'default');
    // ORCH-2013: no pool serves the target, so it is an unknown resource.
    expect(res.ok ? 'admitted' : res.error.code).toBe('NOT_FOUND');
    expect(sched.beginModelTransition('nope', { modelRef: NEW }).ok).toBe(false);
  });
});

describe('ORCH-3033: canary split of a pool during a reload', () => {
  const b = (id: string) =>
    replica(id, { model_ref: NEW, model_digest: 'sha256:bb', slots_total: 1000, slots_free: 1000 });
  const a = (id: string) => replica(id, { slots_total: 1000, slots_free: 1000 });

  function canaryPool(share: number) {
    const { sched } = scheduler();
    sched.upsertReplica(a('r1'));
    sched.upsertReplica(a('r2'));
    sched.beginModelTransition('pool-a', { modelRef: NEW, modelDigest: 'sha256:bb' });
    sched.upsertReplica(b('r3'));
    expect(sched.setCanaryShare('pool-a', share).ok).toBe(true);
    return sched;
  }

  it('ORCH-3033: 1000 tasks split by the share (0.1 ± 0.03), each on the side its session hash names, never across digests', () => {
    const sched = canaryPool(0.1);
    const sides = new Map<string, string>();
    for (let i = 0; i < 1000; i++) {
      const id = `t-${i}`;
      expect(sched.admit(spec(id, { session_id: `sess-${i}` }), 'default').ok).toBe(true);
      sched.attach(id);
      for (const d of sched.dispatch().dispatches) sides.set(d.taskId, d.replicaId);
    }
    expect(sides.size).toBe(1000);
    let canary = 0;
    for (const [taskId, replicaId] of sides) {
      const wants = canaryBucket(`sess-${taskId.slice(2)}`) < 0.1;
      expect(replicaId === 'r3', taskId).toBe(wants);
      if (wants) canary++;
    }
    // Binomial(1000, 0.1) has σ ≈ 9.5 tasks; 0.03 is > 3σ, and the ids are fixed, so no flake.
    expect(Math.abs(canary / 1000 - 0.1)).toBeLessThan(0.03);
    expect(sched.poolModel('pool-a')?.canary).toEqual({
      share: 0.1,
      dispatched: { canary, stable: 1000 - canary },
    });
  });

  it('ORCH-3033: a side with no Ready replica hands its tasks to the other; ending the transition ends the split', () => {
    const sched = canaryPool(0.9);
    sched.drainReplica('r3', 0);
    const placed: string[] = [];
    for (let i = 0; i < 20; i++) {
      expect(sched.admit(spec(`t${i}`), 'default').ok).toBe(true);
      sched.attach(`t${i}`);
      placed.push(...sched.dispatch().dispatches.map((d) => d.replicaId));
    }
    expect(placed.length).toBe(20);
    expect(placed.every((r) => r === 'r1' || r === 'r2')).toBe(true);
    sched.endModelTransition('pool-a', false);
    expect(sched.poolModel('pool-a')?.canary).toBeUndefined();
  });

  it('ORCH-3033: a split needs a transition and a share in (0, 1)', () => {
    const { sched } = scheduler();
    expect(sched.setCanaryShare('pool-a', 0.5).ok).toBe(false);
    sched.beginModelTransition('pool-a', { modelRef: NEW });
    expect(sched.setCanaryShare('pool-a', 1).ok).toBe(false);
    expect(sched.setCanaryShare('pool-a', 0).ok).toBe(false);
    expect(sched.setCanaryShare('nope', 0.5).ok).toBe(false);
    expect(sched.setCanaryShare('pool-a', 0.5).ok).toBe(true);
  });

  it('ORCH-3033: the bucket is a pure function of the key, uniform enough over uuids', () => {
    expect(canaryBucket('abc')).toBe(canaryBucket('abc'));
    expect(canaryBucket('abc')).not.toBe(canaryBucket('abd'));
    const n = 1000;
    let low = 0;
    for (let i = 0; i < n; i++)
      if (canaryBucket(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`) < 0.5) low++;
    expect(Math.abs(low / n - 0.5)).toBeLessThan(0.05);
  });
});
