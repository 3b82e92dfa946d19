import fc from 'fast-check';
import { describe, it } from 'vitest';
import { replica, spec } from '../fixtures.js';
import { opsArb, run } from '../harness.js';

const RUNS = 1000;

describe('ORCH-3017/ORCH-3026/ORCH-2029: exactly one terminal state per accepted task', () => {
  it('ORCH-3017: every accepted task ends exactly once under random interleavings of submit, attach, dispatch, cancel, replica loss and clock ticks', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const t = run(ops);
        for (const id of t.accepted) {
          const evs = t.terminal.get(id) ?? [];
          if (evs.length !== 1) return false;
          const view = t.sched.task(id);
          if (!view || view.state !== evs[0]?.state) return false;
        }
        // No terminal event for a task that was never accepted.
        for (const id of t.terminal.keys()) if (!t.accepted.includes(id)) return false;
        if (t.sched.snapshot().liveTasks !== 0) return false;
        // Quota accounting was released exactly: tenant-0 may hold 2 live tasks again, not 3.
        t.sched.upsertReplica(replica('fresh'));
        const ok = ['q1', 'q2', 'q3'].map((id) => t.sched.admit(spec(id), 'tenant-0').ok);
        return ok[0] === true && ok[1] === true && ok[2] === false;
      }),
      { numRuns: RUNS },
    );
  });

  it('ORCH-3026: no dispatch after cancel; a cancel-requested task ends canceled (or completed if it raced)', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const t = run(ops);
        if (t.violations.some((v) => v.startsWith('post-cancel'))) return false;
        for (const [id, kind] of t.cancelKind) {
          const ev = t.terminal.get(id)?.[0];
          if (!ev) return false;
          if (kind === 'canceled' && ev.state !== 'canceled') return false;
          if (kind === 'cancel_requested' && ev.state === 'failed') return false;
        }
        return true;
      }),
      { numRuns: RUNS },
    );
  });

  it('ORCH-3026: lease events after the terminal state are refused with LEASE_INVALID', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const t = run(ops);
        for (const d of t.dispatches) {
          const r = t.sched.leaseStarted(d.leaseId);
          if (r.ok || r.error.code !== 'LEASE_INVALID') return false;
        }
        return true;
      }),
      { numRuns: RUNS },
    );
  });
});
