// All mutable scheduler state and the few operations every part shares: moving tasks in and out of
// the queues and ending a task (the one place a TerminalEvent is created, so exactly-once holds).
import type { NormConfig } from './config.js';
import { tenantConfig } from './config.js';
import type { CoreError } from './errors.js';
import { DeadlineRatio } from './fairness/deadline-ratio.js';
import { EwmaShare } from './fairness/ewma-share.js';
import { StrideScheduler } from './fairness/stride-scheduler.js';
import type { Flow, PoolState, PriorityLane, ReplicaRec, TaskDeadline, TaskRec } from './model.js';
import { isTerminal } from './model.js';
import { SpecShapes } from './admission/task-spec.js';
import { ArrivalList } from './queue/arrival-list.js';
import { UnattachedList } from './queue/unattached-list.js';
import { edfFifoLess } from './queue/edf-fifo.js';
import { TenantQuotaBook } from './admission/quotas.js';
import { transition } from './cancel/state-machine.js';
import type { TaskEvent } from './cancel/state-machine.js';
import { ReplicaRegistry } from './scheduling/replica-registry.js';
import type { PlacementProfile, PluginFactory } from './scheduling/plugins.js';
import { buildPoolProfiles } from './scheduling/profiles.js';
import type { PoolProfiles } from './scheduling/profiles.js';
import { SessionStore } from './sessions/session-store.js';
import { PRIORITIES } from './types.js';
import type { Clock, EndReason, Priority, ReplicaState, TerminalEvent } from './types.js';
import { IndexedHeap } from './util/indexed-heap.js';

/** Only tasks with a deadline are in the deadline heap. */
function deadlineLess(a: TaskRec, b: TaskRec): boolean {
  const x = (a.deadline as TaskDeadline).latestStart;
  const y = (b.deadline as TaskDeadline).latestStart;
  return x !== y ? x < y : a.seq < b.seq;
}

/** ORCH-4023: when a queued, unattached task must have attached (clock time). */
export function attachDeadline(s: CoreState, task: TaskRec): number {
  return task.rare?.attachBy ?? task.admittedAt + s.config.attachTimeoutMs;
}

/** The KV the task was charged at admission (issue 19: derived, not stored per task). */
function kvMbOf(s: CoreState, task: TaskRec): number {
  return task.estTokens * s.pool(task).config.kvMbPerToken;
}

export class CoreState {
  readonly pools = new Map<string, PoolState>();
  readonly poolList: PoolState[] = [];
  readonly registry: ReplicaRegistry;
  readonly tasks = new Map<string, TaskRec>();
  readonly leases = new Map<string, TaskRec>();
  readonly sessions: SessionStore;
  readonly quotas = new TenantQuotaBook();
  readonly shares: EwmaShare;
  readonly deadlines = new DeadlineRatio();
  /** ORCH-3130: each pool's placement profile, the built-in fallback, the plugins' hooks. */
  readonly profiles: PoolProfiles;
  /** ORCH-2101: draining pools → absolute drain deadline (clock time). */
  readonly draining = new Map<string, number>();
  /** Per-replica drains (a reload step, an operator): replica id → absolute drain deadline. They
   *  outlive a reconnect, because a reloading sidecar reopens its stream. */
  readonly replicaDrains = new Map<string, number>();
  /** What each replica last reported, before drain overrides, so an undrain can restore it. */
  readonly reported = new Map<string, ReplicaState>();
  /**
   * ORCH-4023: tasks waiting for a client to attach, in attach-deadline order (attachDeadline:
   * every one is now + attachTimeoutMs when the task joins and the clock never goes back, so
   * insertion order is deadline order).
   */
  readonly unattached = new UnattachedList<TaskRec>();
  /** Queued tasks with a deadline, by latest feasible start. */
  readonly deadlineHeap = new IndexedHeap<TaskRec>(deadlineLess, {
    get: (t) => t.deadline?.pos ?? -1,
    set: (t, p) => {
      if (t.deadline) t.deadline.pos = p;
    },
  });
  private readonly terminalOrder: string[] = [];
  private terminalHead = 0;
  seq = 0;
  /** Issue 19: the spec fields many tasks share, held once (admission/task-spec.ts). */
  readonly specShapes = new SpecShapes();
  leaseSeq = 0;
  live = 0;

  constructor(
    readonly config: NormConfig,
    readonly clock: Clock,
    plugins: Readonly<Record<string, PluginFactory>> = {},
  ) {
    for (const pc of config.pools) {
      const lanes = {} as Record<Priority, PriorityLane>;
      PRIORITIES.forEach((priority, i) => {
        lanes[priority] = {
          priority,
          tie: String(i),
          weight: config.priorityWeights[priority],
          pass: 0,
          stridePos: -1,
          arrivals: new ArrivalList<TaskRec>(),
          flows: new Map(),
          tenants: new StrideScheduler<Flow>(),
        };
      });
      const st = config.serviceTime;
      const pool: PoolState = {
        config: pc,
        lanes,
        priorities: new StrideScheduler<PriorityLane>(),
        sets: new Map(),
        serving: undefined,
        transition: undefined,
        canary: undefined,
        aliases: new Map(),
        firstTokenMs: st.firstTokenMs,
        msPerToken: st.msPerToken,
        meanServiceMs: st.firstTokenMs + 128 * st.msPerToken,
      };
      this.pools.set(pc.id, pool);
      this.poolList.push(pool);
    }
    this.registry = new ReplicaRegistry(this.pools);
    this.sessions = new SessionStore(config.sessions);
    this.shares = new EwmaShare(config.shareAlpha);
    this.profiles = buildPoolProfiles(
      config.profiles,
      new Map(config.pools.map((p) => [p.id, p.placementProfile])),
      config.weights,
      plugins,
    );
  }

  profileOf(poolId: string): PlacementProfile {
    return this.profiles.byPool.get(poolId) ?? this.profiles.fallback;
  }

  /**
   * ORCH-3131: the replica's engine state is gone (restart, reload, drain, removal); plugins that
   * remember what it held (the prefix cache) forget it.
   */
  forgetReplica(replicaId: string): void {
    for (const h of this.profiles.hooks) h.forget?.(replicaId);
  }

  now(): number {
    return this.clock();
  }

  pool(task: TaskRec): PoolState {
    return this.pools.get(task.poolId) as PoolState;
  }

  lane(task: TaskRec): PriorityLane {
    return this.pool(task).lanes[task.spec.priority];
  }

  /** Put a task in its (pool, priority) queue; a requeued task keeps its admission place. */
  enqueue(task: TaskRec, requeue = false): void {
    const lane = this.lane(task);
    if (requeue) lane.arrivals.insertBySeq(task);
    else lane.arrivals.append(task);
    if (task.deadline !== undefined) this.deadlineHeap.push(task);
    if (task.attached) this.makeEligible(task);
  }

  /**
   * An attached queued task joins its tenant flow and can be dispatched (ORCH-4022: only flows are
   * dispatched; an unattached task keeps its arrival-list place, so it still counts in positions).
   */
  makeEligible(task: TaskRec): void {
    const pool = this.pool(task);
    const lane = pool.lanes[task.spec.priority];
    let flow = lane.flows.get(task.spec.tenant);
    if (!flow) {
      flow = {
        tenant: task.spec.tenant,
        tie: task.spec.tenant,
        weight: tenantConfig(this.config, task.spec.tenant).weight,
        pass: 0,
        stridePos: -1,
        tasks: new IndexedHeap<TaskRec>(edfFifoLess, {
          get: (t) => t.flowPos,
          set: (t, p) => {
            t.flowPos = p;
          },
        }),
      };
      lane.flows.set(task.spec.tenant, flow);
    }
    if (flow.tasks.has(task)) return;
    flow.tasks.push(task);
    lane.tenants.activate(flow);
    pool.priorities.activate(lane);
  }

  makeIneligible(task: TaskRec): void {
    const pool = this.pool(task);
    const lane = pool.lanes[task.spec.priority];
    const flow = lane.flows.get(task.spec.tenant);
    if (!flow || !flow.tasks.remove(task)) return;
    if (flow.tasks.size === 0) {
      // The flow record stays (one per tenant) so its pass survives short idle gaps.
      lane.tenants.deactivate(flow);
      if (lane.tenants.activeCount === 0) pool.priorities.deactivate(lane);
    }
  }

  unqueue(task: TaskRec): void {
    this.lane(task).arrivals.unlink(task);
    this.deadlineHeap.remove(task);
    this.makeIneligible(task);
  }

  /** Apply a non-terminal transition; returns false when the event does not apply. */
  move(task: TaskRec, event: TaskEvent): boolean {
    const next = transition(task.state, event);
    if (next === undefined || isTerminal(next)) return false;
    task.state = next;
    return true;
  }

  releaseLease(task: TaskRec): ReplicaRec | undefined {
    if (task.lease === undefined) return undefined;
    this.leases.delete(task.lease.leaseId);
    const rec = this.registry.replicas.get(task.lease.replicaId);
    if (rec) this.registry.leaseDelta(rec, -1);
    return rec;
  }

  /**
   * End a task. The event must lead to a terminal state; returns undefined (a no-op) when the task
   * is already terminal or the event does not apply, which is what makes exactly-once hold.
   */
  finish(
    task: TaskRec,
    event: TaskEvent,
    reason: EndReason,
    error?: CoreError,
    actualTokens?: number,
  ): TerminalEvent | undefined {
    const next = transition(task.state, event);
    if (next === undefined || !isTerminal(next)) return undefined;
    const wasQueued = task.state === 'queued';
    const wasDispatched = task.attempts > 0;
    if (wasQueued) this.unqueue(task);
    this.unattached.delete(task);
    this.releaseLease(task);
    task.state = next;
    const now = this.now();
    const ev: TerminalEvent = {
      taskId: task.spec.task_id,
      tenant: task.spec.tenant,
      poolId: task.poolId,
      priority: task.spec.priority,
      state: next as TerminalEvent['state'],
      reason: next === 'canceled' ? 'canceled' : next === 'failed' ? 'error' : reason,
      wasDispatched: wasDispatched && !wasQueued,
      at: now,
    };
    if (next === 'failed' && error) ev.error = error;
    if (task.lease !== undefined) {
      ev.leaseId = task.lease.leaseId;
      ev.replicaId = task.lease.replicaId;
    }
    task.terminal = ev;
    this.quotas.release(task.spec.tenant, kvMbOf(this, task), task.rare?.charge, actualTokens);
    if (task.deadline !== undefined && next !== 'canceled') {
      this.deadlines.record(task.spec.priority, next === 'completed' && now <= task.deadline.abs);
    }
    this.live--;
    // Keep the record for idempotent cancel and duplicate detection, without its prompt.
    task.spec = task.spec.withoutPrompt(this.specShapes);
    this.retain(task.spec.task_id);
    return ev;
  }

  private retain(id: string): void {
    this.terminalOrder.push(id);
    while (this.terminalOrder.length - this.terminalHead > this.config.terminalRetention) {
      const old = this.terminalOrder[this.terminalHead++] as string;
      this.tasks.delete(old);
    }
    if (this.terminalHead > 1024 && this.terminalHead * 2 > this.terminalOrder.length) {
      this.terminalOrder.splice(0, this.terminalHead);
      this.terminalHead = 0;
    }
  }

  get retainedTerminal(): number {
    return this.terminalOrder.length - this.terminalHead;
  }
}
