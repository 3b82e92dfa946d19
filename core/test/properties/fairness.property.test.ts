import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Priority, Scheduler } from '../../src/index.js';
import { baseConfig, manualClock, replica, scheduler, spec } from '../fixtures.js';

const RUNS = 1000;
/**
 * Stated tolerance: with k backlogged tenants, after every prefix of n dispatches each tenant's
 * count stays within (k + 1) / 2 of n·w_i/Σw (WFQ by virtual finish time, ties by tenant id).
 */
const countTolerance = (k: number): number => (k + 1) / 2;
/** Stated tolerance for the admission_share EWMA (alpha 0.05) against w_i / sum(w). */
const SHARE_TOLERANCE = 0.1;

function serveOneByOne(sched: Scheduler, steps: number): { tenant: string; priority: Priority }[] {
  const order: { tenant: string; priority: Priority }[] = [];
  for (let i = 0; i < steps; i++) {
    const d = sched.dispatch(1).dispatches[0];
    if (!d) break;
    order.push({ tenant: d.task.tenant, priority: d.task.priority });
    sched.leaseFinished(d.leaseId, { reason: 'stop' });
  }
  return order;
}

describe('ORCH-3075/ORCH-3076/ORCH-3077: weighted fair queueing across tenants', () => {
  it('ORCH-3075: k backlogged tenants get dispatch counts within (k+1)/2 of n·w_i/Σw at every prefix, and admission_share converges within 0.1', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 2, maxLength: 5 }),
        fc.integer({ min: 60, max: 120 }),
        (weights, steps) => {
          const tenants = Object.fromEntries(weights.map((w, i) => [`t${i}`, { weight: w }]));
          const { sched } = scheduler(
            baseConfig({
              tenants,
              queues: { batch: { capacity: 10_000, maxWaitMs: 1e9 } },
              shareAlpha: 0.05,
            }),
            manualClock(),
          );
          sched.upsertReplica(replica('r1'));
          const total = weights.reduce((a, b) => a + b, 0);
          // Enough tasks per tenant to stay backlogged for the whole run.
          let n = 0;
          weights.forEach((w, i) => {
            const need = Math.ceil((steps * w) / total) + 2;
            for (let k = 0; k < need; k++) {
              const id = `x${n++}`;
              const r = sched.admit(spec(id, { priority: 'batch' }), `t${i}`);
              if (!r.ok) throw r.error;
              sched.attach(id);
            }
          });
          const order = serveOneByOne(sched, steps);
          if (order.length !== steps) return false;
          const counts = weights.map(() => 0);
          for (let p = 0; p < order.length; p++) {
            const idx = Number((order[p] as { tenant: string }).tenant.slice(1));
            counts[idx] = (counts[idx] ?? 0) + 1;
            for (let i = 0; i < weights.length; i++) {
              const ideal = ((p + 1) * (weights[i] as number)) / total;
              if (Math.abs((counts[i] as number) - ideal) > countTolerance(weights.length))
                return false;
            }
          }
          const shares = sched.snapshot().admissionShare;
          return weights.every((w, i) => {
            const s = shares.find((x) => x.tenant === `t${i}` && x.priority === 'batch');
            return s !== undefined && Math.abs(s.share - w / total) <= SHARE_TOLERANCE;
          });
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('ORCH-3051/ORCH-3075: no priority inversion beyond the priority weights', () => {
  it('ORCH-3051: with both classes backlogged, every prefix of n dispatches gives each class within 1 of its weighted share; idle classes never block the other', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.nat(3),
        (wi, wb, nInteractive, nBatch, tenantCount) => {
          const { sched } = scheduler(
            baseConfig({
              priorityWeights: { interactive: wi, batch: wb },
              queues: {
                interactive: { capacity: 100, maxWaitMs: 1e9 },
                batch: { capacity: 100, maxWaitMs: 1e9 },
              },
            }),
            manualClock(),
          );
          sched.upsertReplica(replica('r1'));
          let n = 0;
          const add = (priority: Priority): void => {
            const id = `x${n++}`;
            const r = sched.admit(spec(id, { priority }), `tenant-${n % (tenantCount + 1)}`);
            if (!r.ok) throw r.error;
            sched.attach(id);
          };
          // Interleave admissions so neither class is favoured by arrival order.
          for (let i = 0; i < Math.max(nInteractive, nBatch); i++) {
            if (i < nBatch) add('batch');
            if (i < nInteractive) add('interactive');
          }
          const order = serveOneByOne(sched, nInteractive + nBatch);
          // Work conserving: everything attached gets served.
          if (order.length !== nInteractive + nBatch) return false;
          let seenI = 0;
          let seenB = 0;
          for (const o of order) {
            // The bound applies to every dispatch made while both classes were backlogged.
            const bothBacklogged = seenI < nInteractive && seenB < nBatch;
            if (o.priority === 'interactive') seenI++;
            else seenB++;
            if (!bothBacklogged) continue;
            const k = seenI + seenB;
            if (seenB > Math.ceil((k * wb) / (wi + wb)) + 1) return false;
            if (seenI > Math.ceil((k * wi) / (wi + wb)) + 1) return false;
          }
          return true;
        },
      ),
      { numRuns: RUNS },
    );
  });
});
