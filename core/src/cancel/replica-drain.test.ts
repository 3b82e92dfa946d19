import { describe, expect, it } from 'vitest';
import { replica, scheduler, spec } from '../../test/fixtures.js';

describe('ORCH-3031: per-replica drain (a reload step) and undrain', () => {
  it('ORCH-3031: a drained replica gets no lease while the pool keeps serving on the others', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    sched.upsertReplica(replica('r2'));
    expect(sched.drainReplica('r1', 1000).ok).toBe(true);
    // A heartbeat saying Ready does not bring it back.
    sched.upsertReplica(replica('r1'));
    for (const id of ['t1', 't2']) {
      expect(sched.admit(spec(id), 'default').ok).toBe(true);
      sched.attach(id);
    }
    const batch = sched.dispatch();
    expect(batch.dispatches.map((d) => d.replicaId)).toEqual(['r2']);
    expect(batch.terminal).toEqual([]);
    // t2 stays queued (not failed as in a pool drain) until r1 is undrained.
    expect(sched.task('t2')?.state).toBe('queued');
    expect(sched.undrainReplica('r1')).toBe(true);
    expect(sched.dispatch().dispatches.map((d) => [d.taskId, d.replicaId])).toEqual([['t2', 'r1']]);
    expect(sched.undrainReplica('r1')).toBe(false);
  });

  it('ORCH-3031: running leases on a drained replica become overdue at its deadline, not before', () => {
    const { sched, clock } = scheduler();
    sched.upsertReplica(replica('r1'));
    sched.admit(spec('t1'), 'default');
    sched.attach('t1');
    const [d] = sched.dispatch().dispatches;
    sched.leaseStarted(d?.leaseId ?? '');
    expect(sched.leasesOn('r1')).toEqual(['t1']);
    sched.drainReplica('r1', 500);
    expect(sched.drainTick().overdue).toEqual([]);
    clock.advance(501);
    expect(sched.drainTick().overdue).toEqual(['t1']);
    // Draining again never extends the promised deadline.
    sched.drainReplica('r1', 60_000);
    expect(sched.replicaDrainDeadline('r1')).toBe(clock.now - 1);
  });

  it('ORCH-3031: the drain outlives a reconnect (remove + register) until undrained', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    sched.drainReplica('r1', 1000);
    sched.removeReplica('r1');
    sched.upsertReplica(replica('r1', { model_digest: 'sha256:bb' }));
    expect(sched.snapshot().replicas.find((r) => r.replicaId === 'r1')?.ready).toBe(false);
    sched.undrainReplica('r1');
    expect(sched.snapshot().replicas.find((r) => r.replicaId === 'r1')?.ready).toBe(true);
  });

  it('ORCH-2101: undrainPool restores what the replicas last reported; unknown pool is NOT_FOUND', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    sched.upsertReplica(replica('r2', { ready: false }));
    sched.drainPool('pool-a', 0);
    expect(sched.admit(spec('t0'), 'default').ok).toBe(false);
    expect(sched.undrainPool('pool-a')).toBe(true);
    expect(sched.undrainPool('pool-a')).toBe(false);
    const ready = sched
      .snapshot()
      .replicas.filter((r) => r.ready)
      .map((r) => r.replicaId);
    expect(ready).toEqual(['r1']);
    expect(sched.admit(spec('t1'), 'default').ok).toBe(true);
    const missing = sched.undrainPool('nope');
    expect(missing instanceof Error && missing.message).toContain('nope');
    expect(sched.drainReplica('ghost', 0).ok).toBe(false);
  });
});
