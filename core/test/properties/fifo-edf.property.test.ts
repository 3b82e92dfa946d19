import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Priority } from '../../src/index.js';
import { baseConfig, manualClock, replica, scheduler, spec } from '../fixtures.js';

const RUNS = 1000;

type Op =
  | { k: 'admit'; tenant: number; priority: Priority; deadline: number }
  | { k: 'attach'; task: number }
  | { k: 'dispatch'; limit: number }
  | { k: 'finish'; lease: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('admit' as const),
      tenant: fc.nat(2),
      priority: fc.constantFrom<Priority>('interactive', 'batch'),
      deadline: fc.constantFrom(0, 0, 50_000, 60_000, 90_000),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('attach' as const), task: fc.nat(50) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('dispatch' as const),
      limit: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('finish' as const), lease: fc.nat(50) }) },
);

interface Model {
  id: string;
  flow: string;
  absDeadline: number;
  seq: number;
  attached: boolean;
  queued: boolean;
}

/**
 * Checks that each dispatched task is the head of its flow among the tasks a client was attached
 * to: earliest absolute deadline, then admission order (plain FIFO when no deadlines are set).
 */
function check(ops: Op[], withDeadlines: boolean): boolean {
  const clock = manualClock();
  const { sched } = scheduler(
    baseConfig({
      queues: {
        interactive: { capacity: 1000, maxWaitMs: 1e9 },
        batch: { capacity: 1000, maxWaitMs: 1e9 },
      },
    }),
    clock,
  );
  sched.upsertReplica(replica('r1', { slots_total: 2, slots_free: 2 }));
  const tasks: Model[] = [];
  const leases: string[] = [];
  for (const op of ops) {
    clock.advance(1);
    if (op.k === 'admit') {
      const id = `t${tasks.length}`;
      const deadline = withDeadlines ? op.deadline : 0;
      const r = sched.admit(
        spec(id, { priority: op.priority, deadline_ms: deadline }),
        `tenant-${op.tenant}`,
      );
      if (!r.ok) return false;
      tasks.push({
        id,
        flow: `${op.priority}/${op.tenant}`,
        absDeadline: deadline > 0 ? clock.now + deadline : Infinity,
        seq: tasks.length,
        attached: false,
        queued: true,
      });
    } else if (op.k === 'attach') {
      const t = tasks[op.task % Math.max(1, tasks.length)];
      if (t) {
        sched.attach(t.id);
        t.attached = true;
      }
    } else if (op.k === 'finish') {
      const l = leases[op.lease % Math.max(1, leases.length)];
      if (l) sched.leaseFinished(l, { reason: 'stop' });
    } else {
      const b = sched.dispatch(op.limit);
      if (b.terminal.length > 0) return false;
      for (const d of b.dispatches) {
        const t = tasks.find((x) => x.id === d.taskId);
        if (!t || !t.queued || !t.attached) return false;
        for (const o of tasks) {
          if (o === t || !o.queued || !o.attached || o.flow !== t.flow) continue;
          const earlier =
            o.absDeadline < t.absDeadline || (o.absDeadline === t.absDeadline && o.seq < t.seq);
          if (earlier) return false;
        }
        t.queued = false;
        leases.push(d.leaseId);
      }
    }
  }
  return true;
}

describe('ORCH-3004/ORCH-3080: order inside a class', () => {
  it('ORCH-3004: FIFO within a class (pool, priority, tenant) among attached tasks', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 80 }), (ops) => check(ops, false)),
      { numRuns: RUNS },
    );
  });

  it('ORCH-3080: earliest deadline first within a class when deadlines differ, FIFO on ties', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 80 }), (ops) => check(ops, true)),
      { numRuns: RUNS },
    );
  });
});
