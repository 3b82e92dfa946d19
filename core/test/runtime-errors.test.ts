// Typed errors raised after admission: unknown tasks and leases, timeouts, replica loss, retries.
import { describe, expect, it } from 'vitest';
import { baseConfig, manualClock, replica, scheduler, spec } from './fixtures.js';

function ready(config = baseConfig()) {
  const h = scheduler(config);
  h.sched.upsertReplica(replica('r1', { slots_total: 2, slots_free: 2 }));
  return h;
}

describe('ORCH-4005/ORCH-3016: errors after admission', () => {
  it('ORCH-4005: attach or cancel of an unknown task → NOT_FOUND', () => {
    const { sched } = ready();
    const a = sched.attach('ghost');
    expect(!a.ok && a.error.code).toBe('NOT_FOUND');
    const c = sched.cancel('ghost');
    expect(c.kind === 'not_found' && c.error.httpStatus).toBe(404);
  });

  it('ORCH-4012: lease events for unknown leases → LEASE_INVALID', () => {
    const { sched } = ready();
    for (const r of [
      sched.leaseStarted('nope'),
      sched.leaseFinished('nope', { reason: 'stop' }),
      sched.leaseFailed('nope', 'WORKER_RESET'),
    ]) {
      expect(!r.ok && r.error.code).toBe('LEASE_INVALID');
    }
  });

  it('ORCH-3016: queue wait timeout → REPLICA_EXHAUSTED queue.wait_timeout from tick()', () => {
    const clock = manualClock();
    const { sched } = scheduler(
      baseConfig({ queues: { interactive: { maxWaitMs: 1000 } } }),
      clock,
    );
    sched.upsertReplica(replica('r1', { ready: true }));
    sched.admit(spec('a'), 'acme');
    clock.advance(999);
    expect(sched.tick().terminal).toEqual([]);
    clock.advance(1);
    const [ev] = sched.tick().terminal;
    expect([ev?.taskId, ev?.error?.code, ev?.error?.policyLabel]).toEqual([
      'a',
      'REPLICA_EXHAUSTED',
      'queue.wait_timeout',
    ]);
    expect(ev?.wasDispatched).toBe(false);
  });

  it('ORCH-3079: a queued task that can no longer meet its deadline → DEADLINE_UNMET (tick and dispatch)', () => {
    const clock = manualClock();
    const { sched } = scheduler(
      baseConfig({ serviceTime: { firstTokenMs: 10, msPerToken: 1 } }),
      clock,
    );
    sched.upsertReplica(replica('r1', { ready: true, slots_total: 1, slots_free: 1 }));
    sched.admit(spec('busy'), 'acme');
    sched.attach('busy');
    expect(sched.dispatch().dispatches).toHaveLength(1);
    // Waves of the 10 + 128·1 ms prior: a starts in ~138 ms, b in ~276 ms; + 26 ms service ≤ 400.
    expect(sched.admit(spec('a', { deadline_ms: 400 }), 'acme').ok).toBe(true);
    expect(sched.admit(spec('b', { deadline_ms: 400 }), 'acme').ok).toBe(true);
    sched.attach('b');
    clock.advance(380); // latest start = 400 - (10 + 16) = 374 ms
    const t = sched.tick().terminal.map((e) => [e.taskId, e.error?.code]);
    expect(t).toEqual([
      ['a', 'DEADLINE_UNMET'],
      ['b', 'DEADLINE_UNMET'],
    ]);
    expect(
      sched.snapshot().deadlinesMetRatio.find((d) => d.priority === 'interactive'),
    ).toMatchObject({
      met: 0,
      total: 2,
      ratio: 0,
    });
    // The dispatch path applies the same rule when it meets such a task before tick() does.
    expect(sched.admit(spec('c', { deadline_ms: 400 }), 'acme').ok).toBe(true);
    sched.attach('c');
    clock.advance(380);
    const l = sched.task('busy')?.leaseId ?? '';
    sched.leaseFinished(l, { reason: 'stop' });
    const b = sched.dispatch();
    expect(b.dispatches).toEqual([]);
    expect(b.terminal.map((e) => [e.taskId, e.error?.code])).toEqual([['c', 'DEADLINE_UNMET']]);
  });

  it('ORCH-3038: replica loss → started leases end WORKER_RESET, unstarted ones requeue', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1', { slots_total: 2, slots_free: 2 }));
    for (const id of ['a', 'b']) {
      sched.admit(spec(id), 'acme');
      sched.attach(id);
    }
    const ds = sched.dispatch().dispatches;
    sched.leaseStarted(ds[0]?.leaseId ?? '');
    const r = sched.removeReplica('r1');
    expect(r.requeued).toEqual(['b']);
    expect(r.terminal.map((e) => [e.taskId, e.error?.code, e.error?.retriable])).toEqual([
      ['a', 'WORKER_RESET', true],
    ]);
    expect(sched.task('b')?.state).toBe('queued');
  });

  it('ORCH-3025: lease failures retry only retriable classes, at most maxAttempts times', () => {
    const { sched } = ready(baseConfig({ maxAttempts: 2 }));
    sched.admit(spec('a'), 'acme');
    sched.attach('a');
    const l1 = sched.dispatch().dispatches[0]?.leaseId ?? '';
    expect(sched.leaseFailed(l1, 'WORKER_RESET')).toEqual({ ok: true, requeued: true });
    const d2 = sched.dispatch().dispatches[0];
    expect(d2?.attempt).toBe(2);
    const r = sched.leaseFailed(d2?.leaseId ?? '', 'WORKER_RESET');
    expect(r.ok && r.terminal?.error?.code).toBe('WORKER_RESET');
    sched.admit(spec('b'), 'acme');
    sched.attach('b');
    const lb = sched.dispatch().dispatches[0]?.leaseId ?? '';
    const rb = sched.leaseFailed(lb, 'INVALID_PARAMS');
    expect(rb.ok && rb.terminal?.state).toBe('failed');
  });

  it('ORCH-2028: an engine error reported by the sidecar keeps its code; unknown codes become INTERNAL', () => {
    const { sched } = ready();
    for (const [id, code, want] of [
      ['a', 'DECODE_TIMEOUT', 'DECODE_TIMEOUT'],
      ['b', 'SOMETHING_ELSE', 'INTERNAL'],
    ] as const) {
      sched.admit(spec(id), 'acme');
      sched.attach(id);
      const l = sched.dispatch().dispatches[0]?.leaseId ?? '';
      const r = sched.leaseFinished(l, { reason: 'error', errorCode: code });
      expect(r.ok && r.terminal?.error?.code).toBe(want);
    }
  });
});
