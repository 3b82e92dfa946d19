import fc from 'fast-check';
import { describe, it } from 'vitest';
import { CoreError, Scheduler } from '../../src/index.js';
import type { ReplicaState } from '../../src/index.js';
import { opsArb, run } from '../harness.js';
import { baseConfig, replica, spec } from '../fixtures.js';

const RUNS = 1000;

function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof CoreError ? v.toEnvelope() : v));
}

describe('ORCH-3045/ORCH-3008: core is deterministic given its inputs', () => {
  it('ORCH-3045: the same op sequence yields byte-identical outputs and snapshots', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const a = run(ops);
        const b = run(ops);
        return (
          stable(a.outputs) === stable(b.outputs) &&
          stable(a.sched.snapshot()) === stable(b.sched.snapshot())
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('ORCH-3008: placement does not depend on the order replicas registered in (tie-break by replica_id)', () => {
    const fleet = fc.uniqueArray(
      fc.record({
        id: fc.integer({ min: 0, max: 99 }),
        slots: fc.integer({ min: 1, max: 3 }),
        kv: fc.constantFrom(0, 0.5),
      }),
      { minLength: 1, maxLength: 8, selector: (r) => r.id },
    );
    fc.assert(
      fc.property(
        fleet,
        fc.integer({ min: 1, max: 12 }),
        fc.integer(),
        (replicas, tasks, shuffleSeed) => {
          const states: ReplicaState[] = replicas.map((r) =>
            replica(`r${String(r.id).padStart(2, '0')}`, {
              slots_total: r.slots,
              slots_free: r.slots,
              kv_usage_ratio: r.kv,
            }),
          );
          const shuffled = [...states].sort(
            (x, y) =>
              ((x.replica_id.charCodeAt(2) * 31 + shuffleSeed) % 17) -
              ((y.replica_id.charCodeAt(2) * 31 + shuffleSeed) % 17),
          );
          const decide = (order: ReplicaState[]): string => {
            let now = 0;
            const s = new Scheduler({ config: baseConfig(), clock: () => now });
            for (const st of order) s.upsertReplica(st);
            for (let i = 0; i < tasks; i++) {
              s.admit(spec(`t${i}`), `tenant-${i % 3}`);
              s.attach(`t${i}`);
              now += 1;
            }
            return stable(s.dispatch().dispatches.map((d) => [d.taskId, d.replicaId, d.leaseId]));
          };
          return (
            decide(states) === decide(shuffled) && decide([...states].reverse()) === decide(states)
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
