// Random interleavings for property tests: a small op language, a runner that applies it to a
// Scheduler and records everything the scheduler said, and checks shared by several suites.
import fc from 'fast-check';
import type {
  Dispatch,
  Priority,
  ReplicaState,
  Scheduler,
  SchedulerConfig,
  TerminalEvent,
} from '../src/index.js';
import { manualClock, replica, scheduler, spec, MODEL } from './fixtures.js';

export type Op =
  | { k: 'admit'; tenant: number; priority: Priority; deadline: number; session: number }
  | { k: 'attach'; task: number }
  | { k: 'detach'; task: number }
  | { k: 'dispatch'; limit: number }
  | { k: 'cancel'; task: number }
  | { k: 'start'; lease: number }
  | { k: 'finish'; lease: number; reason: 'stop' | 'length' | 'canceled' | 'error' }
  | { k: 'fail'; lease: number; code: 'WORKER_RESET' | 'INVALID_PARAMS' }
  | { k: 'replica'; id: number; ready: boolean; slots: number; digest: number }
  | { k: 'remove'; id: number }
  | { k: 'advance'; ms: number }
  | { k: 'tick' }
  // Drain ops are not in opArb (a drained pool admits nothing, which other suites rely on);
  // drain.property.test.ts mixes them in.
  | { k: 'drain'; deadline: number }
  | { k: 'drainTick' };

const prio = fc.constantFrom<Priority>('interactive', 'batch');

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('admit' as const),
      tenant: fc.nat(3),
      priority: prio,
      deadline: fc.constantFrom(0, 0, 2_000, 20_000),
      session: fc.nat(3),
    }),
  },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('attach' as const), task: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('detach' as const), task: fc.nat(40) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('dispatch' as const),
      limit: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cancel' as const), task: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('start' as const), lease: fc.nat(20) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('finish' as const),
      lease: fc.nat(20),
      reason: fc.constantFrom(
        'stop' as const,
        'length' as const,
        'canceled' as const,
        'error' as const,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('fail' as const),
      lease: fc.nat(20),
      code: fc.constantFrom('WORKER_RESET' as const, 'INVALID_PARAMS' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('replica' as const),
      id: fc.nat(3),
      ready: fc.boolean(),
      slots: fc.integer({ min: 1, max: 2 }),
      digest: fc.nat(1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('remove' as const), id: fc.nat(3) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('advance' as const),
      ms: fc.integer({ min: 1, max: 15_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ k: 'tick' as const }) },
);

export const opsArb = fc.array(opArb, { minLength: 20, maxLength: 80 });

export function harnessConfig(): SchedulerConfig {
  return {
    pools: [{ id: 'pool-a', engine: 'llamacpp', modelRef: MODEL, ctxMax: 4096 }],
    queues: {
      interactive: { capacity: 3, fullPolicy: 'reject', maxWaitMs: 30_000 },
      batch: { capacity: 3, fullPolicy: 'drop-lru', maxWaitMs: 60_000 },
    },
    serviceTime: { firstTokenMs: 10, msPerToken: 1 },
    maxAttempts: 2,
    // Quotas exercised under interleavings; their accounting must return to zero.
    tenants: { 'tenant-0': { quotas: { maxConcurrent: 2 } }, 'tenant-1': { weight: 3 } },
  };
}

interface Trace {
  accepted: string[];
  terminal: Map<string, TerminalEvent[]>;
  dispatches: Dispatch[];
  /** Replica states as they were when each dispatch happened. */
  dispatchReplicas: (ReplicaState | undefined)[];
  canceledAt: Map<string, number>;
  /** The first cancel outcome each task got. */
  cancelKind: Map<string, string>;
  violations: string[];
  /** Leases that went back to the queue (may exceed a queue's capacity by design). */
  requeues: number;
  /** Step of the first drainPool call, if any. */
  drainedAt: number | undefined;
  outputs: unknown[];
  sched: Scheduler;
}

function replicaOf(id: number, ready: boolean, slots: number, digest: number): ReplicaState {
  return replica(`r${id}`, {
    ready,
    slots_total: slots,
    slots_free: slots,
    model_digest: `sha256:${digest}`,
  });
}

export function run(ops: Op[], config: SchedulerConfig = harnessConfig(), quiesce = true): Trace {
  const clock = manualClock();
  const { sched } = scheduler(config, clock);
  const t: Trace = {
    accepted: [],
    terminal: new Map(),
    dispatches: [],
    dispatchReplicas: [],
    canceledAt: new Map(),
    cancelKind: new Map(),
    violations: [],
    requeues: 0,
    drainedAt: undefined,
    outputs: [],
    sched,
  };
  const replicas = new Map<string, ReplicaState>();
  const leases: string[] = [];
  let step = 0;
  const record = (evs: TerminalEvent[] | undefined): void => {
    for (const ev of evs ?? []) {
      const list = t.terminal.get(ev.taskId) ?? [];
      list.push(ev);
      t.terminal.set(ev.taskId, list);
    }
  };
  const taskId = (n: number): string | undefined => t.accepted[n % Math.max(1, t.accepted.length)];
  const leaseId = (n: number): string | undefined => leases[n % Math.max(1, leases.length)];
  let admitted = 0;
  // Start with a Ready fleet so admissions mostly succeed; ops then flap and remove replicas.
  for (const st of [replicaOf(0, true, 1, 0), replicaOf(1, true, 2, 0)]) {
    replicas.set(st.replica_id, st);
    sched.upsertReplica(st);
  }
  for (const op of ops) {
    step++;
    switch (op.k) {
      case 'admit': {
        const id = `t${admitted++}`;
        const r = sched.admit(
          spec(id, {
            priority: op.priority,
            deadline_ms: op.deadline,
            session_id: `s${op.session}`,
          }),
          `tenant-${op.tenant}`,
        );
        t.outputs.push(r.ok ? { ...r, task: undefined } : r.error.toEnvelope());
        if (r.ok) {
          t.accepted.push(id);
          record(r.dropped);
        }
        break;
      }
      case 'attach': {
        const id = taskId(op.task);
        if (id) t.outputs.push(sched.attach(id));
        break;
      }
      case 'detach': {
        const id = taskId(op.task);
        if (id) sched.detach(id);
        break;
      }
      case 'dispatch': {
        const before = new Map(sched.snapshot().replicas.map((r) => [r.replicaId, r.activeLeases]));
        const b = sched.dispatch(op.limit);
        t.outputs.push(b);
        record(b.terminal);
        for (const d of b.dispatches) {
          if (t.drainedAt !== undefined) t.violations.push(`dispatch after drain: ${d.taskId}`);
          if (t.canceledAt.has(d.taskId)) t.violations.push(`post-cancel dispatch of ${d.taskId}`);
          t.dispatches.push(d);
          const st = replicas.get(d.replicaId);
          t.dispatchReplicas.push(st);
          const used = (before.get(d.replicaId) ?? 0) + 1;
          before.set(d.replicaId, used);
          if (!st || used > st.slots_total) t.violations.push(`over capacity on ${d.replicaId}`);
          leases.push(d.leaseId);
        }
        break;
      }
      case 'cancel': {
        const id = taskId(op.task);
        if (!id) break;
        const c = sched.cancel(id);
        t.outputs.push(c);
        if (!t.canceledAt.has(id)) t.canceledAt.set(id, step);
        if (!t.cancelKind.has(id)) t.cancelKind.set(id, c.kind);
        if (c.kind === 'canceled') record([c.event]);
        break;
      }
      case 'start': {
        const id = leaseId(op.lease);
        if (id) t.outputs.push(sched.leaseStarted(id));
        break;
      }
      case 'finish': {
        const id = leaseId(op.lease);
        if (!id) break;
        const r = sched.leaseFinished(id, {
          reason: op.reason,
          errorCode: 'DECODE_TIMEOUT',
          tokensIn: 4,
          tokensOut: 8,
          firstTokenMs: 5,
          decodeTimeMs: 20,
        });
        t.outputs.push(r);
        if (r.ok && r.terminal) record([r.terminal]);
        break;
      }
      case 'fail': {
        const id = leaseId(op.lease);
        if (!id) break;
        const r = sched.leaseFailed(id, op.code);
        t.outputs.push(r);
        if (r.ok && r.requeued) t.requeues++;
        if (r.ok && r.terminal) record([r.terminal]);
        break;
      }
      case 'replica': {
        const st = replicaOf(op.id, op.ready, op.slots, op.digest);
        replicas.set(st.replica_id, st);
        sched.upsertReplica(st);
        break;
      }
      case 'remove': {
        replicas.delete(`r${op.id}`);
        const r = sched.removeReplica(`r${op.id}`);
        t.outputs.push(r);
        t.requeues += r.requeued.length;
        record(r.terminal);
        break;
      }
      case 'advance':
        clock.advance(op.ms);
        break;
      case 'tick': {
        const r = sched.tick();
        t.outputs.push(r);
        record(r.unattached);
        record(r.terminal);
        break;
      }
      case 'drain': {
        const r = sched.drainPool('pool-a', op.deadline);
        t.outputs.push(r);
        if (r.ok) record(r.terminal);
        t.drainedAt ??= step;
        break;
      }
      case 'drainTick': {
        const r = sched.drainTick();
        t.outputs.push(r);
        record(r.terminal);
        for (const id of r.overdue) {
          const c = sched.cancel(id);
          if (c.kind !== 'cancel_requested') t.violations.push(`overdue ${id}: ${c.kind}`);
        }
        break;
      }
    }
  }
  if (!quiesce) return t;
  // Quiesce: cancel everything, end every lease still out, so every task must now be terminal.
  for (const id of t.accepted) {
    const c = sched.cancel(id);
    if (c.kind === 'canceled') record([c.event]);
  }
  for (const id of leases) {
    const r = sched.leaseFinished(id, { reason: 'canceled' });
    if (r.ok && r.terminal) record([r.terminal]);
  }
  return t;
}
