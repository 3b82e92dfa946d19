// ORCH-4030/4031: what placement does with its journal and the sidecars' re-reported leases after
// a restart, at core's level: restored admission, and adoption of a restored queued task.
import { describe, expect, it } from 'vitest';
import { replica, scheduler, spec } from './fixtures.js';

describe('ORCH-4030: restored admission', () => {
  it('ORCH-4030: a restored task is admitted before any replica registered; a new one is not', () => {
    const { sched } = scheduler();
    const fresh = sched.admit(spec('new'), 'acme');
    expect(!fresh.ok && fresh.error.code).toBe('POOL_UNAVAILABLE');
    const restored = sched.admit(spec('old', { deadline_ms: 60_000 }), 'acme', { restored: true });
    expect(restored.ok).toBe(true);
    expect(sched.task('old')?.state).toBe('queued');
    // It waits unattached like any admitted task, and runs once its client attaches.
    sched.upsertReplica(replica('r1'));
    expect(sched.dispatch().dispatches).toEqual([]);
    sched.attach('old');
    expect(sched.dispatch().dispatches.map((d) => d.taskId)).toEqual(['old']);
  });
});

describe('ORCH-4031: adopting a re-reported lease', () => {
  it('ORCH-4031: a restored queued task adopts its re-reported lease and is never dispatched again', () => {
    const { sched } = scheduler();
    expect(sched.admit(spec('t'), 'acme', { restored: true }).ok).toBe(true);
    sched.upsertReplica(replica('r1', { slots_total: 2, slots_free: 2 }));
    expect(sched.adoptLease({ leaseId: 'old-1', taskId: 't', replicaId: 'r1' })).toEqual({
      ok: true,
    });
    expect(sched.adoptLease({ leaseId: 'old-1', taskId: 't', replicaId: 'r1' }).ok).toBe(true);
    expect(sched.task('t')?.state).toBe('running');
    sched.attach('t');
    expect(sched.dispatch().dispatches).toEqual([]);
    expect(sched.snapshot().replicas[0]?.activeLeases).toBe(1);
    const done = sched.leaseFinished('old-1', { reason: 'stop', tokensOut: 3 });
    expect(done.ok && done.terminal?.state).toBe('completed');
    // Ended once: the same lease cannot end it again.
    expect(sched.leaseFinished('old-1', { reason: 'stop' }).ok).toBe(false);
  });

  it('ORCH-4031: a lease naming a task that already ran or sits in another pool is refused', () => {
    const { sched } = scheduler({
      pools: [
        { id: 'pool-a', engine: 'llamacpp', modelRef: 'hf:test/model', ctxMax: 4096 },
        { id: 'pool-b', engine: 'llamacpp', modelRef: 'hf:test/other', ctxMax: 4096 },
      ],
    });
    sched.upsertReplica(replica('r1'));
    sched.upsertReplica(replica('rb', { pool_id: 'pool-b', model_ref: 'hf:test/other' }));
    expect(sched.admit(spec('a'), 'acme').ok).toBe(true);
    sched.attach('a');
    const d = sched.dispatch().dispatches[0];
    const running = sched.adoptLease({ leaseId: 'x-1', taskId: 'a', replicaId: 'r1' });
    expect(!running.ok && running.error.code).toBe('INVALID_PARAMS');
    expect(d?.taskId).toBe('a');
    expect(sched.admit(spec('q'), 'acme').ok).toBe(true);
    const elsewhere = sched.adoptLease({ leaseId: 'x-2', taskId: 'q', replicaId: 'rb' });
    expect(!elsewhere.ok && elsewhere.error.code).toBe('LEASE_INVALID');
    expect(sched.task('q')?.state).toBe('queued');
  });
});
