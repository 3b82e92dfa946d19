// The facade: the only stateful object the gateway holds. Every method is synchronous, does no I/O
// and reads time only through the injected clock, so the same call sequence gives the same result.
import { admit } from './admission/admit.js';
import { adoptLease } from './cancel/adopt-lease.js';
import {
  cancelTask,
  leaseFailed,
  leaseFinished,
  leaseStarted,
  removeReplica,
} from './cancel/lease-events.js';
import { drainOverdue, drainPool, failQueued } from './cancel/drain.js';
import {
  drainReplica,
  effectiveState,
  undrainPool,
  undrainReplica,
} from './cancel/replica-drain.js';
import { normalizeConfig } from './config.js';
import { CoreError } from './errors.js';
import { tick } from './queue/expiry.js';
import { sessionInfo, snapshot, taskView } from './read-models.js';
import { dispatchLoop } from './scheduling/dispatch-loop.js';
import {
  beginTransition,
  endTransition,
  poolModel,
  setCanary,
} from './scheduling/model-transition.js';
import type { PluginFactory } from './scheduling/plugins.js';
import { CoreState } from './state.js';
import type {
  AdoptedLease,
  AdmitHints,
  AdmitResult,
  AttachResult,
  CancelOutcome,
  DispatchBatch,
  DrainResult,
  DrainTickResult,
  LeaseOutcome,
  LeaseResult,
  ModelIdentity,
  PoolModel,
  RemoveReplicaResult,
  ReplicaDrainResult,
  ReplicaState,
  SchedulerOptions,
  SchedulerSnapshot,
  SessionInfo,
  TaskSpec,
  TaskSpecInput,
  TaskView,
  TickResult,
  TransitionResult,
} from './types.js';

export class Scheduler {
  private readonly s: CoreState;

  /**
   * Throws CoreError(INVALID_PARAMS) on an impossible config. `plugins` registers more placement
   * plugin types (ORCH-3130), e.g. the gateway's WASI policy scorer.
   */
  constructor(options: SchedulerOptions & { plugins?: Readonly<Record<string, PluginFactory>> }) {
    this.s = new CoreState(normalizeConfig(options.config), options.clock, options.plugins);
  }

  /** ORCH-2001/3014/3015/3024/3036/3079/3004/3005: admission before enqueue. */
  admit(spec: TaskSpecInput, tenant: string, hints?: AdmitHints): AdmitResult {
    return admit(this.s, spec, tenant, hints);
  }

  /**
   * A client now waits on the stream (ext_proc request headers arrived). Queued tasks become
   * dispatchable; a terminal task returns its terminal event for an ImmediateResponse (ORCH-4005).
   */
  attach(taskId: string): AttachResult {
    const task = this.s.tasks.get(taskId);
    if (!task) return { ok: false, error: new CoreError('NOT_FOUND', `task ${taskId} not found`) };
    if (task.terminal) return { ok: true, state: task.state, terminal: task.terminal };
    task.attached = true;
    this.s.unattached.delete(task);
    if (task.state === 'queued') this.s.makeEligible(task);
    return { ok: true, state: task.state };
  }

  /** The waiting client went away before dispatch: keep the task queued but stop dispatching it. */
  detach(taskId: string): void {
    const task = this.s.tasks.get(taskId);
    if (!task || task.terminal) return;
    task.attached = false;
    // ORCH-4023: the client has attach_timeout again to come back before the task is canceled.
    const attachBy = this.s.now() + this.s.config.attachTimeoutMs;
    if (task.rare) task.rare.attachBy = attachBy;
    else task.rare = { pinReplicaId: undefined, charge: undefined, attachBy };
    this.s.unattached.push(task);
    if (task.state === 'queued') this.s.makeIneligible(task);
  }

  /**
   * ORCH-2003/3017/3026: queued → canceled now (deliver the event); dispatched/running →
   * cancel_requested (send Cancel to the sidecar, the lease outcome ends it); terminal → no-op.
   */
  cancel(taskId: string, _reason?: string): CancelOutcome {
    return cancelTask(this.s, taskId);
  }

  /** Register or refresh a replica from its sidecar's Register/Heartbeat (ORCH-3019/4011). */
  upsertReplica(state: ReplicaState): void {
    // ORCH-2101: a draining pool's (or drained replica's) replicas stay out of placement whatever
    // they report; the report is kept so an undrain can restore it.
    const before = this.s.registry.replicas.get(state.replica_id);
    // ORCH-3131: a replica that turned unready (engine restart) or changed identity (reload)
    // no longer holds the prompt prefixes placement remembers for it.
    if (
      before &&
      (!state.ready ||
        before.state.model_ref !== state.model_ref ||
        before.state.model_digest !== state.model_digest ||
        before.state.engine_version !== state.engine_version)
    ) {
      this.s.forgetReplica(state.replica_id);
    }
    this.s.reported.set(state.replica_id, state);
    this.s.registry.upsert(effectiveState(this.s, state));
    for (const h of this.s.profiles.hooks) h.seen?.(state.replica_id, state.pool_id);
  }

  /**
   * ORCH-2101: stop dispatching to the pool's replicas; queued tasks fail (POOL_UNAVAILABLE,
   * `pool.draining`); running leases may run until now + deadlineMs (see drainTick).
   */
  drainPool(poolId: string, deadlineMs: number): DrainResult {
    for (const rec of this.s.registry.replicas.values()) {
      if (rec.state.pool_id === poolId) this.s.forgetReplica(rec.state.replica_id);
    }
    return drainPool(this.s, poolId, deadlineMs);
  }

  /** Call periodically: fails tasks requeued into draining pools, lists leases past the deadline. */
  drainTick(): DrainTickResult {
    return { terminal: failQueued(this.s), overdue: drainOverdue(this.s) };
  }

  /** The drain deadline (clock time) of a draining pool, else undefined. */
  drainDeadline(poolId: string): number | undefined {
    return this.s.draining.get(poolId);
  }

  /** ORCH-2101 lifted: the pool serves again. NOT_FOUND for an unknown pool; false if not draining. */
  undrainPool(poolId: string): boolean | CoreError {
    return undrainPool(this.s, poolId);
  }

  /**
   * One replica takes no new lease (a reload step, ORCH-3031); queued tasks stay for the pool's
   * other replicas; its running leases may run until now + deadlineMs (see drainTick). The drain
   * outlives a reconnect of the replica until undrainReplica.
   */
  drainReplica(replicaId: string, deadlineMs: number): ReplicaDrainResult {
    this.s.forgetReplica(replicaId);
    return drainReplica(this.s, replicaId, deadlineMs);
  }

  /** Lift a replica's own drain; false when it was not drained. */
  undrainReplica(replicaId: string): boolean {
    return undrainReplica(this.s, replicaId);
  }

  /** The drain deadline (clock time) of a drained replica, else undefined. */
  replicaDrainDeadline(replicaId: string): number | undefined {
    return this.s.replicaDrains.get(replicaId);
  }

  /** Task ids with a live lease on the replica (dispatched or running), in lease order. */
  leasesOn(replicaId: string): string[] {
    return [...this.s.leases.values()]
      .filter((t) => t.lease?.replicaId === replicaId)
      .map((t) => t.spec.task_id);
  }

  /** ORCH-3031: while a reload runs the pool also accepts `target` replicas and tasks naming it. */
  beginModelTransition(poolId: string, target: ModelIdentity): TransitionResult {
    return beginTransition(this.s, poolId, target);
  }

  /**
   * End the reload: commit makes the target the pool's model (the old ref stays an alias for
   * `aliasMs`); abort (rollback) forgets the target.
   */
  endModelTransition(poolId: string, commit: boolean, aliasMs = 0): TransitionResult {
    return endTransition(this.s, poolId, commit, aliasMs);
  }

  /**
   * ORCH-3033: during a transition, place `share` of the pool's tasks (by session/task id hash) on
   * the target's replica set; `undefined` ends the split. Ended by endModelTransition too.
   */
  setCanaryShare(poolId: string, share: number | undefined): TransitionResult {
    return setCanary(this.s, poolId, share);
  }

  /** The pool's model and reload target, undefined for an unknown pool. */
  poolModel(poolId: string): PoolModel | undefined {
    return poolModel(this.s, poolId);
  }

  /** The replica's control stream is gone: its leases requeue (never started) or fail. */
  removeReplica(replicaId: string): RemoveReplicaResult {
    this.s.reported.delete(replicaId);
    this.s.forgetReplica(replicaId);
    return removeReplica(this.s, replicaId);
  }

  /** Dispatch as many attached tasks as free slots allow (at most `limit`). */
  dispatch(limit?: number): DispatchBatch {
    return dispatchLoop(this.s, limit);
  }

  leaseStarted(leaseId: string): LeaseResult {
    return leaseStarted(this.s, leaseId);
  }

  /** ORCH-4015: the sidecar's LeaseFinished; feeds service times, quotas, sessions, deadlines. */
  leaseFinished(leaseId: string, outcome: LeaseOutcome): LeaseResult {
    return leaseFinished(this.s, leaseId, outcome);
  }

  /** The lease could not be served (no LeaseAccepted in time, sidecar refused, ...). */
  leaseFailed(leaseId: string, code: string, message?: string): LeaseResult {
    return leaseFailed(this.s, leaseId, code, message);
  }

  /**
   * ORCH-4007: re-attach a lease a sidecar is still serving after a gateway restart (call after
   * upsertReplica). Idempotent for the same lease; cancel and leaseFinished then work as usual.
   */
  adoptLease(lease: AdoptedLease): LeaseResult {
    return adoptLease(this.s, lease);
  }

  /** Whether this scheduler issued the lease id (its boot's `leasePrefix`), known now or not. */
  issuedLease(leaseId: string): boolean {
    return leaseId.startsWith(this.s.config.leasePrefix);
  }

  /** Expire queue-wait timeouts, infeasible deadlines and idle sessions as of clock(). */
  tick(): TickResult {
    return tick(this.s);
  }

  snapshot(): SchedulerSnapshot {
    return snapshot(this.s);
  }

  /** ORCH-2004/3035: the tenant's live session with this id; another tenant's is not seen. */
  session(tenant: string, sessionId: string): SessionInfo | undefined {
    return sessionInfo(this.s, tenant, sessionId);
  }

  /** ORCH-2005/3035: delete the tenant's session with this id (false when it has none). */
  deleteSession(tenant: string, sessionId: string): boolean {
    return this.s.sessions.delete(tenant, sessionId);
  }

  /**
   * Tenants that hold a live session with this id, most recently active first: for callers that
   * may see every tenant's sessions (operators) and name only an id.
   */
  sessionOwners(sessionId: string): string[] {
    return this.s.sessions
      .owners(sessionId)
      .filter((tenant) => sessionInfo(this.s, tenant, sessionId) !== undefined);
  }

  task(taskId: string): TaskView | undefined {
    return taskView(this.s, taskId);
  }

  /**
   * The spec core admitted for the task, its pool and the caller's tag, without building a view: for
   * callers that need a field of it per request and should not keep their own copy (issue 19).
   */
  taskSpec(
    taskId: string,
  ): { readonly spec: TaskSpec; readonly poolId: string; readonly tag: number } | undefined {
    return this.s.tasks.get(taskId);
  }

  /**
   * Keep a small integer of the caller's with the task for as long as core holds the task (-1
   * clears it; taskSpec reads it back). Issue 19: the gateway's own per-task facts live here
   * instead of in a Map entry per queued task. No-op for an unknown task.
   */
  setTag(taskId: string, tag: number): void {
    const task = this.s.tasks.get(taskId);
    if (task) task.tag = tag;
  }
}
