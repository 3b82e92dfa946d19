import { describe, expect, it } from 'vitest';
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
    expect(late.ok ? 'admitted' : late.error.code).toBe('INVALID_PARAMS');
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
    expect(res.ok ? 'admitted' : res.error.code).toBe('INVALID_PARAMS');
    expect(sched.beginModelTransition('nope', { modelRef: NEW }).ok).toBe(false);
  });
});
