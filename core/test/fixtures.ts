// Shared builders for core tests: a manual clock, a small fleet, task specs.
import { Scheduler } from '../src/index.js';
import type { PluginFactory, ReplicaState, SchedulerConfig, TaskSpecInput } from '../src/index.js';

interface ManualClock {
  now: number;
  read: () => number;
  advance: (ms: number) => void;
}

export function manualClock(start = 1_000_000): ManualClock {
  const c: ManualClock = {
    now: start,
    read: () => c.now,
    advance: (ms) => {
      c.now += ms;
    },
  };
  return c;
}

export const MODEL = 'hf:test/model';

export function baseConfig(overrides: Partial<SchedulerConfig> = {}): SchedulerConfig {
  return {
    pools: [{ id: 'pool-a', engine: 'llamacpp', modelRef: MODEL, ctxMax: 4096 }],
    ...overrides,
  };
}

export function replica(id: string, overrides: Partial<ReplicaState> = {}): ReplicaState {
  return {
    replica_id: id,
    pool_id: 'pool-a',
    engine: 'llamacpp',
    engine_version: 'b1',
    model_ref: MODEL,
    model_digest: 'sha256:aa',
    sampler_profile_version: 'v1',
    canary_hash: 'c1',
    ctx_max: 4096,
    ready: true,
    slots_total: 1,
    slots_free: 1,
    kv_usage_ratio: 0,
    ...overrides,
  };
}

export function spec(id: string, overrides: Partial<TaskSpecInput> = {}): TaskSpecInput {
  return {
    task_id: id,
    session_id: `s-${id}`,
    model_ref: MODEL,
    engine: 'llamacpp',
    ctx: 1024,
    priority: 'interactive',
    max_tokens: 16,
    prompt: 'hello',
    ...overrides,
  };
}

export function scheduler(
  config: SchedulerConfig = baseConfig(),
  clock: ManualClock = manualClock(),
): { sched: Scheduler; clock: ManualClock } {
  return { sched: new Scheduler({ config, clock: clock.read }), clock };
}

/**
 * A scheduler with idle replicas `ids` (`slots` each) that places one task at a time: `send`
 * admits, attaches and dispatches a task (optionally with its prompt) and returns its replica and
 * lease; `finish` ends a lease with `stop`.
 */
export function placementFleet(
  config: SchedulerConfig,
  o: { ids: readonly string[]; slots: number; plugins?: Record<string, PluginFactory> },
) {
  const clock = manualClock();
  const sched = new Scheduler({
    config,
    clock: clock.read,
    ...(o.plugins ? { plugins: o.plugins } : {}),
  });
  for (const id of o.ids) {
    sched.upsertReplica(replica(id, { slots_total: o.slots, slots_free: o.slots }));
  }
  let n = 0;
  const send = (prompt?: string): { replicaId: string; leaseId: string } => {
    const id = `t${n++}`;
    const extra = prompt === undefined ? {} : { prompt };
    const r = sched.admit(spec(id, { ...extra, session_id: `s-${id}` }), 'tenant');
    if (!r.ok) throw r.error;
    sched.attach(id);
    const d = sched.dispatch(1).dispatches[0];
    if (!d) throw new Error(`task ${id} not dispatched`);
    return { replicaId: d.replicaId, leaseId: d.leaseId };
  };
  const finish = (leaseId: string): void => {
    sched.leaseFinished(leaseId, { reason: 'stop', tokensIn: 1, tokensOut: 1 });
  };
  return { sched, send, finish };
}
