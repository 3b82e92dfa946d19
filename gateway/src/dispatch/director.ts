// The director: stream request → attach → wait for core's dispatch → Assign to the chosen sidecar
// → LeaseAccepted (bounded) → route decision. Core makes every queueing and placement decision;
// this class only moves events between core, the sidecars and the held ext_proc replies.
import { CoreError } from '@llama-orch/core';
import type { Dispatch, Engine, Scheduler, TaskSpec, TerminalEvent } from '@llama-orch/core';
import type { PlacementDecision, PlacementRequest, Placer } from '../extproc/handler.js';
import type { ApiLabel, ExtProcOutcome } from '../metrics/metrics.js';
import { assignCommand } from './assign.js';
import { wiredBreakers } from '../replica-health/circuit-breaker.js';
import type { CircuitBreakers } from '../replica-health/circuit-breaker.js';
import { LeaseWaits } from './lease-waits.js';
import { routeAccepted } from './routed.js';
import { resumeDecision, resumePoint } from './resume.js';
import type { CancelReasonLabel, DirectorOptions, TaskMeta } from './director-types.js';
import { terminalDecision, terminalOutcome } from './terminal.js';
import { FORGOTTEN_TAG, rememberedTag, taskMetaOf } from './task-tags.js';

export { DESTINATION_HEADER, LEASE_HEADER } from './director-types.js';

// Answer for a waiter whose ext_proc stream already ended; never reaches Envoy.
const passDecision: PlacementDecision = { kind: 'route', setHeaders: {} };

interface Waiter {
  readonly correlationId: string | undefined;
  readonly since: number;
  /** queued: in core's queue; assigning: Assign sent, waiting for LeaseAccepted. */
  phase: 'queued' | 'assigning';
  abandoned: boolean;
  /** ORCH-3103: an OpenAI request cannot re-attach, so leaving while queued cancels the task. */
  cancelOnLeave: boolean;
  /** ORCH-4032: the event id the request resumes after (Last-Event-ID), -1 for a fresh one. */
  readonly afterId: number;
  resolve(decision: PlacementDecision, outcome: ExtProcOutcome): void;
}

export class Director implements Placer {
  private readonly waiters = new Map<string, Waiter>();
  private readonly leases = new Map<string, Dispatch>();
  /** Why a cancel was requested for a task still on a sidecar (metrics label on its end). */
  private readonly cancelReasons = new Map<string, CancelReasonLabel>();
  private readonly acceptWaits = new LeaseWaits();
  private dispatchScheduled = false;
  /** True while a dispatch pass runs (kick() then defers to the next event-loop turn). */
  private dispatching = false;
  private closed = false;
  /** ORCH-3040: every replica state core gets from the gateway passes breakers.gate(). */
  readonly breakers: CircuitBreakers;

  constructor(private readonly o: DirectorOptions) {
    this.breakers = wiredBreakers(o, () => this.kick());
  }

  /** Called by the REST side after a successful admit. */
  rememberTask(
    task: TaskSpec,
    pinned = false,
    api: ApiLabel = 'orchqueue',
    journaled = false,
  ): void {
    this.o.core.setTag(task.task_id, rememberedTag(pinned, api, journaled));
  }

  /** What is known of a remembered task (task-tags.ts). */
  taskMeta(taskId: string): TaskMeta | undefined {
    return taskMetaOf(this.o.core, taskId);
  }

  leaseMeta(leaseId: string): Dispatch | undefined {
    return this.leases.get(leaseId);
  }

  /** ORCH-4005: hold the ext_proc reply until the task is dispatched and its lease accepted. */
  async decide(request: PlacementRequest, signal: AbortSignal): Promise<PlacementDecision> {
    const since = this.o.clock();
    try {
      return await this.hold(request, signal, since);
    } catch (error) {
      const notFound = error instanceof CoreError && error.code === 'NOT_FOUND';
      this.count(request.taskId ?? '', notFound ? 'not_found' : 'error', since);
      throw error;
    }
  }

  /**
   * ORCH-3103: hold an OpenAI request for the task just admitted for it, exactly as a stream
   * request for that task (same attach, dispatch, Assign and route decision).
   */
  async holdAdmitted(
    taskId: string,
    correlationId: string | undefined,
    signal: AbortSignal,
  ): Promise<PlacementDecision> {
    const since = this.o.clock();
    try {
      return await this.attachAndHold(taskId, correlationId, signal, since, true, -1);
    } catch (error) {
      this.count(taskId, 'error', since);
      throw error;
    }
  }

  private hold(
    request: PlacementRequest,
    signal: AbortSignal,
    since: number,
  ): Promise<PlacementDecision> {
    const taskId = request.taskId;
    if (taskId === undefined || request.method !== 'GET') {
      throw new CoreError('NOT_FOUND', `no stream at ${request.method} ${request.path}`);
    }
    // ORCH-4032: a reconnect goes back to the replica holding its stream: after Last-Event-ID, or
    // from the first event without one (a client whose first connection broke before any event,
    // e.g. Envoy could not reach the sidecar, must still get its task, not a permanent refusal).
    // An ended task without an id keeps the usual answer (its terminal event, ORCH-2029).
    const point = resumePoint(request);
    const afterId = point ?? -1;
    const fresh = point === undefined;
    const view = this.o.core.task(taskId);
    if (!this.waiters.has(taskId) && (!fresh || view?.terminal === undefined)) {
      const resumed = this.resume(view, taskId, afterId, request.correlationId);
      if (resumed) {
        const ended = view?.terminal;
        const outcome =
          resumed.kind === 'route' || !ended || ended.state === 'completed'
            ? 'routed'
            : terminalOutcome(ended);
        this.count(taskId, outcome, since);
        this.o.log.info({ task_id: taskId, kind: resumed.kind }, 'stream resumed');
        return Promise.resolve(resumed);
      }
    }
    return this.attachAndHold(taskId, request.correlationId, signal, since, false, afterId);
  }

  private attachAndHold(
    taskId: string,
    correlationId: string | undefined,
    signal: AbortSignal,
    since: number,
    cancelOnLeave: boolean,
    afterId: number,
  ): Promise<PlacementDecision> {
    const attached = this.o.core.attach(taskId);
    if (!attached.ok) throw attached.error;
    const meta = this.taskMeta(taskId);
    if (attached.terminal) {
      this.count(taskId, terminalOutcome(attached.terminal), since);
      return Promise.resolve(
        terminalDecision(attached.terminal, this.engineOf(attached.terminal, meta), correlationId),
      );
    }
    if (attached.state !== 'queued' || this.waiters.has(taskId)) {
      throw new CoreError('LEASE_INVALID', `task ${taskId} is already streaming`);
    }
    this.o.log.debug({ task_id: taskId }, 'ext_proc: holding stream request');
    return new Promise<PlacementDecision>((resolve) => {
      const waiter: Waiter = {
        correlationId: correlationId ?? meta?.correlationId,
        since,
        phase: 'queued',
        abandoned: false,
        cancelOnLeave,
        afterId,
        resolve: (decision, outcome) => {
          this.waiters.delete(taskId);
          this.count(taskId, outcome, since);
          resolve(decision);
        },
      };
      this.waiters.set(taskId, waiter);
      signal.addEventListener('abort', () => this.abandon(taskId, waiter), { once: true });
      this.kick();
    });
  }

  /**
   * Run core's dispatch soon, coalescing bursts of triggers into one pass. A trigger from outside
   * a pass (a stream request attaching, a lease ending) runs it at the end of the current task, so
   * the held stream does not wait an event-loop turn behind other I/O; one raised by a pass
   * itself waits a turn, so a pass that keeps re-triggering can never starve I/O.
   */
  kick(): void {
    if (this.dispatchScheduled || this.closed) return;
    this.dispatchScheduled = true;
    const run = (): void => {
      this.dispatchScheduled = false;
      if (!this.closed) this.runDispatch();
    };
    if (this.dispatching) setImmediate(run);
    else queueMicrotask(run);
  }

  /** Periodic: queue timeouts, deadlines and session expiry live in core.tick(). */
  tick(): void {
    const result = this.o.core.tick();
    this.deliver(result.unattached, 'unattached');
    this.deliver(result.terminal, 'watchdog');
    this.o.registry.sweep();
    this.breakers.tick();
    if (result.terminal.length + result.unattached.length > 0) this.kick();
    // ORCH-2101: tasks requeued into a draining pool fail; leases past the deadline get Cancel.
    const drain = this.o.core.drainTick();
    this.deliver(drain.terminal, 'drain');
    for (const taskId of drain.overdue) this.cancelTask(taskId, 'drain');
  }

  /**
   * ORCH-2101: drain a pool. Its replicas get no new leases; queued tasks end with their typed
   * error now (held ext_proc replies are answered); running leases are canceled by tick() once
   * `deadlineMs` has passed. Throws CoreError(NOT_FOUND) for an unknown pool.
   */
  drainPool(poolId: string, deadlineMs: number): void {
    const result = this.o.core.drainPool(poolId, deadlineMs);
    if (!result.ok) throw result.error;
    this.deliver(result.terminal, 'drain');
    // The sidecars refuse Assigns and report `draining` too, and cancel at the deadline on their
    // own should placement be gone by then (0 would mean "no deadline" to them, hence ≥ 1).
    const remainingMs = Math.max(1, Math.ceil(result.deadlineAt - this.o.clock()));
    this.o.registry.sendToPool(poolId, {
      cmd: { $case: 'drain', value: { deadlineMs: remainingMs } },
    });
    this.o.log.info(
      { pool_id: poolId, deadline_ms: deadlineMs, failed_queued: result.terminal.length },
      'pool draining',
    );
    if (deadlineMs === 0) this.tick();
  }

  /** Route terminal events: metrics, and the held reply of a client that was never routed. */
  deliver(events: readonly TerminalEvent[], cancelReason: CancelReasonLabel): void {
    for (const event of events) {
      const meta = this.taskMeta(event.taskId);
      if (event.state === 'canceled') {
        this.o.metrics.tasksCanceled.inc({
          engine: meta?.engine ?? 'unknown',
          engine_version: this.engineVersionOf(event.poolId),
          pool_id: event.poolId,
          priority: event.priority,
          reason: this.cancelReasons.get(event.taskId) ?? cancelReason,
        });
      }
      this.cancelReasons.delete(event.taskId);
      // ORCH-4030: recorded before anyone hears of it; a task ends once, also across restarts.
      if (meta?.journaled) {
        this.o.journal?.terminal(event.taskId, {
          state: event.state,
          ...(event.error ? { code: event.error.code } : {}),
        });
      }
      if (event.leaseId) this.leases.delete(event.leaseId);
      const waiter = this.waiters.get(event.taskId);
      if (waiter) {
        waiter.resolve(
          terminalDecision(event, this.engineOf(event, meta), waiter.correlationId),
          terminalOutcome(event),
        );
      }
      this.o.core.setTag(event.taskId, FORGOTTEN_TAG);
      this.o.log.info(
        {
          task_id: event.taskId,
          tenant: event.tenant,
          pool_id: event.poolId,
          replica_id: event.replicaId,
          state: event.state,
          reason: event.reason,
          code: event.error?.code,
        },
        'task terminal',
      );
    }
  }

  /** A LeaseAccepted arrived from a sidecar. */
  leaseAccepted(replicaId: string, leaseId: string): void {
    if (!this.acceptWaits.accept(leaseId, replicaId)) {
      this.o.log.debug(
        { lease_id: leaseId, replica_id: replicaId },
        'late or foreign LeaseAccepted',
      );
    }
  }

  /** A LeaseRefused arrived (ORCH-4033): the Assign's wait ends now, not at its timeout. */
  leaseRefused(replicaId: string, leaseId: string, reason: string): void {
    if (!this.acceptWaits.refuse(leaseId, replicaId)) {
      this.o.log.debug(
        { lease_id: leaseId, replica_id: replicaId, reason },
        'late or foreign LeaseRefused',
      );
    }
  }

  /**
   * ORCH-4031: a re-reported lease was adopted for `taskId`. When the task's stream request is
   * held here (its client reconnected to a restarted placement before the replica re-registered),
   * core will never dispatch it again: route the request to the adopted lease, as a reconnect of
   * ORCH-4032 from where the request said it was (its Last-Event-ID, else the stream's first
   * event; the sidecar claims a lease no stream has claimed yet).
   */
  leaseAdopted(taskId: string): void {
    const waiter = this.waiters.get(taskId);
    if (!waiter || waiter.phase !== 'queued') return;
    const view = this.o.core.task(taskId);
    const decision = this.resume(view, taskId, waiter.afterId, waiter.correlationId);
    if (!decision) return;
    this.o.log.info(
      { task_id: taskId, lease_id: view?.leaseId, replica_id: view?.replicaId },
      'held stream routed to an adopted lease',
    );
    waiter.resolve(decision, 'routed');
  }

  /** ORCH-4032: where a request resuming after event `afterId` of the task's stream goes. */
  private resume(
    view: ReturnType<Scheduler['task']>,
    taskId: string,
    afterId: number,
    correlationId: string | undefined,
  ): PlacementDecision | undefined {
    return resumeDecision(view, this.o.registry, taskId, afterId, (event, id) =>
      terminalDecision(event, this.engineOf(event, this.taskMeta(taskId)), correlationId, id),
    );
  }

  /** The replica's control stream ended. */
  replicaGone(replicaId: string): void {
    this.acceptWaits.replicaGone(replicaId);
    this.breakers.replicaGone(replicaId);
    const result = this.o.core.removeReplica(replicaId);
    this.deliver(result.terminal, 'client');
    for (const [leaseId, d] of this.leases)
      if (d.replicaId === replicaId) this.leases.delete(leaseId);
    this.kick();
  }

  engineVersionOf(poolId: string): string {
    const record = this.o.registry.list().find((r) => r.register.poolId === poolId);
    return record?.register.engineVersion || 'unknown';
  }

  close(): void {
    this.closed = true;
    this.acceptWaits.closeAll();
    for (const [taskId, waiter] of this.waiters) {
      waiter.resolve(
        {
          kind: 'respond',
          status: 503,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(
            new CoreError('POOL_UNAVAILABLE', 'placement shutting down', {
              retryAfterMs: 1000,
            }).toEnvelope(),
          ),
          details: 'orch_shutdown',
        },
        'error',
      );
      this.waiters.delete(taskId);
    }
  }

  private runDispatch(): void {
    this.dispatching = true;
    try {
      this.dispatchPass();
    } finally {
      this.dispatching = false;
    }
  }

  private dispatchPass(): void {
    const batch = this.o.core.dispatch();
    this.deliver(batch.terminal, 'deadline');
    for (const d of batch.dispatches) {
      // No fallback pools exist yet: a pinned task never leaves its pool (ORCH-2014).
      this.o.metrics.placementDecisions.inc({
        outcome: 'assigned',
        pinned: String(this.taskMeta(d.taskId)?.pinned ?? false),
        fallback: 'false',
      });
      void this.assign(d);
    }
  }

  private async assign(d: Dispatch): Promise<void> {
    this.leases.set(d.leaseId, d);
    this.breakers.assigned(d.replicaId, d.leaseId);
    const waiter = this.waiters.get(d.taskId);
    if (waiter) waiter.phase = 'assigning';
    const sent = this.o.registry.send(d.replicaId, assignCommand(d, this.o.watchdog));
    const outcome = sent
      ? await this.acceptWaits.wait(d.leaseId, d.replicaId, this.o.acceptTimeoutMs)
      : 'gone';
    if (outcome === 'accepted') return this.accepted(d);
    this.breakers.leaseEnded(d.replicaId, d.leaseId, 'neutral'); // a trial that never ran
    if (outcome === 'timeout') {
      this.o.metrics.assignTimeouts.inc({ pool_id: d.poolId });
      // ORCH-4021: Unready until its next heartbeat, through the registry (readiness has one source).
      this.o.registry.markSuspect(d.replicaId);
      // The sidecar may still hold the Assign: tell it to drop the lease.
      this.o.registry.send(d.replicaId, {
        cmd: {
          $case: 'cancel',
          value: { leaseId: d.leaseId, taskId: d.taskId, reason: 'accept_timeout' },
        },
      });
    }
    this.o.log[outcome === 'refused' ? 'info' : 'warn'](
      { task_id: d.taskId, lease_id: d.leaseId, replica_id: d.replicaId, outcome },
      'Assign not accepted',
    );
    if (outcome === 'timeout' || outcome === 'refused' || !sent) {
      // 'gone' after a sent Assign means removeReplica already requeued or failed it in core.
      // ORCH-4021/4033: retried on another replica while attempts remain, else REPLICA_EXHAUSTED.
      const result = this.o.core.leaseFailed(
        d.leaseId,
        sent ? 'REPLICA_EXHAUSTED' : 'WORKER_RESET',
        `lease not accepted (${outcome})`,
      );
      if (result.ok && result.terminal) this.deliver([result.terminal], 'client');
    }
    // ORCH-4033: after leaseFailed gave core its slot back, so the hold is the last word: no new
    // Assign to this replica until its next heartbeat says what it really has free.
    if (outcome === 'refused') this.o.registry.holdUntilHeartbeat(d.replicaId);
    this.leases.delete(d.leaseId);
    const still = this.waiters.get(d.taskId);
    if (still?.abandoned) {
      still.resolve(passDecision, 'canceled');
      if (still.cancelOnLeave) this.cancelTask(d.taskId, 'client');
      else this.o.core.detach(d.taskId);
    } else if (still) {
      still.phase = 'queued';
    }
    this.kick();
  }

  private accepted(d: Dispatch): void {
    const waiter = this.waiters.get(d.taskId);
    const record = this.o.registry.get(d.replicaId);
    if (!waiter || waiter.abandoned || !record) {
      // Client left while we waited for the sidecar: free the slot (ORCH-3017). The ext_proc
      // stream is gone, so resolving only clears the waiter.
      waiter?.resolve(passDecision, 'canceled');
      this.cancelTask(d.taskId, 'unattached');
      return;
    }
    const decision = routeAccepted(this.o, d, record, this.taskMeta(d.taskId));
    waiter.resolve(decision, 'routed');
  }

  /** Cancel through core and push Cancel to the sidecar when the task is already on one. */
  cancelTask(taskId: string, reason: CancelReasonLabel): ReturnType<Scheduler['cancel']> {
    const outcome = this.o.core.cancel(taskId, reason);
    if (outcome.kind === 'canceled') this.deliver([outcome.event], reason);
    if (outcome.kind === 'cancel_requested') {
      // The lease outcome ends the task later; count it under the reason that asked first.
      if (!this.cancelReasons.has(taskId)) this.cancelReasons.set(taskId, reason);
      this.o.registry.send(outcome.replicaId, {
        cmd: { $case: 'cancel', value: { leaseId: outcome.leaseId, taskId, reason } },
      });
    }
    this.kick();
    return outcome;
  }

  private abandon(taskId: string, waiter: Waiter): void {
    if (this.waiters.get(taskId) !== waiter) return; // already answered
    if (waiter.phase === 'queued' && waiter.cancelOnLeave) {
      // ORCH-3107: nobody can ever stream this task again; cancel it instead of detaching.
      this.waiters.delete(taskId);
      this.count(taskId, 'canceled', waiter.since);
      this.cancelTask(taskId, 'client');
    } else if (waiter.phase === 'queued') {
      // ORCH-4005: the client went away while queued; core stops considering it for dispatch.
      this.waiters.delete(taskId);
      this.o.core.detach(taskId);
      this.count(taskId, 'canceled', waiter.since);
      this.o.log.info({ task_id: taskId }, 'ext_proc: client left while queued; task detached');
    } else {
      waiter.abandoned = true; // resolved by assign() once the sidecar answers or times out
    }
  }

  private engineOf(event: TerminalEvent, meta: TaskMeta | undefined): Engine {
    return event.error?.engine ?? meta?.engine ?? this.o.poolEngine(event.poolId) ?? 'llamacpp';
  }

  /** placement_extproc_requests_total / hold time, labelled from what is known of the task. */
  private count(taskId: string, outcome: ExtProcOutcome, since: number): void {
    const meta = this.taskMeta(taskId);
    const poolId = meta?.poolId ?? 'unknown';
    this.o.metrics.extProcRequests.inc({ outcome, api: meta?.api ?? 'orchqueue' });
    this.o.metrics.extProcHold.observe({ pool_id: poolId, outcome }, this.o.clock() - since);
  }
}
