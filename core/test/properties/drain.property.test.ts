import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replica, scheduler, spec } from '../fixtures.js';
import type { Op } from '../harness.js';
import { opArb, run } from '../harness.js';

const RUNS = 500;

const drainOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('drain' as const), deadline: fc.constantFrom(0, 1_000, 30_000) }),
  fc.constant({ k: 'drainTick' as const }),
);
const drainOpsArb = fc.array(fc.oneof({ weight: 12, arbitrary: opArb }, drainOp), {
  minLength: 20,
  maxLength: 80,
});

describe('ORCH-2101: draining a pool under random interleavings', () => {
  it('ORCH-2101/ORCH-3017: nothing is dispatched to a draining pool and every accepted task still ends exactly once', () => {
    fc.assert(
      fc.property(drainOpsArb, (ops) => {
        const t = run(ops);
        if (t.violations.length > 0) return false;
        for (const id of t.accepted) if ((t.terminal.get(id) ?? []).length !== 1) return false;
        for (const id of t.terminal.keys()) if (!t.accepted.includes(id)) return false;
        return t.sched.snapshot().liveTasks === 0;
      }),
      { numRuns: RUNS },
    );
  });

  it('ORCH-2101: after a drain no task is left queued, and past the deadline every running lease is asked to cancel', () => {
    fc.assert(
      fc.property(drainOpsArb, (ops) => {
        const t = run([...ops, { k: 'drain', deadline: 0 }, { k: 'drainTick' }], undefined, false);
        if (t.violations.length > 0) return false;
        const snap = t.sched.snapshot();
        if (snap.queueDepth.some((q) => q.depth !== 0)) return false;
        if (snap.replicas.some((r) => r.ready)) return false;
        return t.accepted.every((id) => {
          const state = t.sched.task(id)?.state;
          return state !== 'queued' && state !== 'dispatched' && state !== 'running';
        });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('ORCH-2101: drainPool unit behaviour', () => {
  it('ORCH-2101: queued tasks fail POOL_UNAVAILABLE (pool.draining), running ones finish, overdue ones are listed once', () => {
    const { sched, clock } = scheduler();
    sched.upsertReplica(replica('r0', { slots_total: 1, slots_free: 1 }));
    expect(sched.admit(spec('run'), 'a').ok).toBe(true);
    expect(sched.admit(spec('wait'), 'a').ok).toBe(true);
    sched.attach('run');
    sched.attach('wait');
    const [d] = sched.dispatch().dispatches;
    expect(d?.taskId).toBe('run');
    const drained = sched.drainPool('pool-a', 5_000);
    if (!drained.ok) throw drained.error;
    expect(
      drained.terminal.map((e) => [e.taskId, e.state, e.error?.code, e.error?.policyLabel]),
    ).toEqual([['wait', 'failed', 'POOL_UNAVAILABLE', 'pool.draining']]);
    expect(sched.drainDeadline('pool-a')).toBe(clock.now + 5_000);
    // A heartbeat saying Ready does not bring a draining replica back.
    sched.upsertReplica(replica('r0'));
    expect(sched.snapshot().replicas[0]?.ready).toBe(false);
    const refused = sched.admit(spec('late'), 'a');
    expect(refused.ok ? 'ok' : refused.error.code).toBe('POOL_UNREADY');
    expect(sched.drainTick().overdue).toEqual([]);
    clock.advance(5_000);
    expect(sched.drainTick().overdue).toEqual(['run']);
    expect(sched.cancel('run').kind).toBe('cancel_requested');
    expect(sched.drainTick().overdue).toEqual([]);
    const end = sched.leaseFinished(d?.leaseId ?? '', { reason: 'canceled' });
    expect(end.ok && end.terminal?.state).toBe('canceled');
    // Draining again is accepted and never extends the deadline.
    const again = sched.drainPool('pool-a', 60_000);
    expect(again.ok && again.deadlineAt).toBe(clock.now);
  });

  it('ORCH-2101: an unknown pool is NOT_FOUND', () => {
    const { sched } = scheduler();
    const r = sched.drainPool('nope', 0);
    expect(r.ok ? 'ok' : r.error.code).toBe('NOT_FOUND');
  });
});
