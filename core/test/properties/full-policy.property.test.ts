import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Priority } from '../../src/index.js';
import { baseConfig, replica, scheduler, spec } from '../fixtures.js';

const RUNS = 1000;

type Op = { k: 'admit'; priority: Priority } | { k: 'cancel'; task: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('admit' as const),
      priority: fc.constantFrom<Priority>('interactive', 'batch'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancel' as const), task: fc.nat(40) }) },
);

describe('ORCH-3005: full-queue policy', () => {
  it('ORCH-3005: interactive rejects when full; batch drops its oldest task with a terminal QUEUE_FULL_DROP_LRU event', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(opArb, { minLength: 5, maxLength: 40 }),
        (capI, capB, ops) => {
          const { sched } = scheduler(
            baseConfig({
              queues: {
                interactive: { capacity: capI, fullPolicy: 'reject' },
                batch: { capacity: capB, fullPolicy: 'drop-lru' },
              },
            }),
          );
          sched.upsertReplica(replica('r1'));
          const model: Record<Priority, string[]> = { interactive: [], batch: [] };
          const cap: Record<Priority, number> = { interactive: capI, batch: capB };
          const all: string[] = [];
          let admitted = 0;
          for (const op of ops) {
            if (op.k === 'cancel') {
              const id = all[op.task % Math.max(1, all.length)];
              if (!id) continue;
              const c = sched.cancel(id);
              for (const p of ['interactive', 'batch'] as Priority[]) {
                const i = model[p].indexOf(id);
                if (i >= 0) {
                  if (c.kind !== 'canceled') return false;
                  model[p].splice(i, 1);
                }
              }
              continue;
            }
            const id = `t${admitted++}`;
            const q = model[op.priority];
            const r = sched.admit(spec(id, { priority: op.priority }), 'acme');
            if (q.length < cap[op.priority]) {
              if (!r.ok || r.dropped.length !== 0) return false;
              q.push(id);
              all.push(id);
            } else if (op.priority === 'batch' && q.length > 0) {
              if (!r.ok || r.dropped.length !== 1) return false;
              const ev = r.dropped[0];
              const oldest = q.shift();
              if (!ev || ev.taskId !== oldest || ev.state !== 'failed') return false;
              const e = ev.error;
              if (!e || e.code !== 'QUEUE_FULL_DROP_LRU' || !e.retriable) return false;
              if (e.policyLabel !== 'queue.drop-lru' || e.retryAfterMs === undefined) return false;
              q.push(id);
              all.push(id);
            } else {
              if (r.ok) return false;
              if (r.error.code !== 'ADMISSION_REJECT' || r.error.policyLabel !== 'queue.reject') {
                return false;
              }
              if (!r.error.retriable || r.error.retryAfterMs === undefined) return false;
            }
            const depth = sched.snapshot().queueDepth;
            for (const d of depth) {
              if (d.depth !== model[d.priority].length || d.depth > d.capacity) return false;
            }
          }
          return true;
        },
      ),
      { numRuns: RUNS },
    );
  });
});
