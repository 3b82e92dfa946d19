// Turns registry events (sidecar control streams) into core calls and metrics (ORCH-4010/4011/4015).
import type { Engine, Scheduler } from '@llama-orch/core';
import type { LeaseEvent } from '@llama-orch/proto';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { mirrorModelStates } from '../metrics/mirror.js';
import type { ControlSink, ReplicaRecord, ReplicaRegistry } from './registry.js';
import { leaseVerdict } from '../replica-health/circuit-breaker.js';
import { adoptReportedLeases } from './lease-adoption.js';
import type { Director } from '../dispatch/director.js';

interface ControlBridgeOptions {
  readonly core: Scheduler;
  readonly registry: ReplicaRegistry;
  readonly director: Director;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  /** ORCH-4030: tasks the admission journal saw end (their re-reported leases are canceled). */
  readonly ended?: (taskId: string) => boolean;
}

export class ControlBridge implements ControlSink {
  /** Registrations whose re-reported leases were adopted (each Register once). */
  private readonly adopted = new WeakSet<ReplicaRecord>();

  constructor(private readonly o: ControlBridgeOptions) {
    // The fleet gauges are rebuilt when /metrics is read (O(replicas) per scrape instead of per
    // heartbeat); breaker changes are seen then too.
    o.metrics.onScrape(() => this.refreshReplicaGauges());
  }

  replicaChanged(record: ReplicaRecord): void {
    const state = this.o.registry.toReplicaState(record);
    this.o.core.upsertReplica(this.o.director.breakers.gate(state)); // ORCH-3040
    if (!this.adopted.has(record)) {
      // ORCH-4031: the replica is in core now, so its re-reported leases can be adopted.
      this.adopted.add(record);
      adoptReportedLeases(record, {
        core: this.o.core,
        registry: this.o.registry,
        log: this.o.log,
        adopted: (taskId) => this.o.director.leaseAdopted(taskId),
        ...(this.o.ended ? { ended: this.o.ended } : {}),
      });
    }
    this.o.metrics.kvUsage.set(this.replicaLabels(record), state.kv_usage_ratio ?? 0);
    // A replica turning Ready or freeing a slot may unblock queued work.
    this.o.director.kick();
  }

  /**
   * ORCH-4031: a lease that finished while placement was down is not in the sidecar's Register; its
   * LeaseFinished follows it. When its task was queued again from the journal and never leased
   * since, that lease ran the task: adopt it, so the LeaseFinished ends the task with the lease's
   * outcome instead of the task running a second time, and a held reconnect is routed to the
   * sidecar, which still holds the finished stream for its resume window (ORCH-4032).
   */
  private adoptFinished(record: ReplicaRecord, leaseId: string, taskId: string): void {
    // A lease this placement issued and core no longer knows failed here (e.g. an Assign that
    // timed out and was requeued): its late end must not end the task.
    if (this.o.core.issuedLease(leaseId)) return;
    const view = taskId ? this.o.core.task(taskId) : undefined;
    // Queued with no lease: replayed from the journal (so not ended there) and not dispatched since.
    if (view?.state !== 'queued' || view.leaseId !== undefined) return;
    const adopted = this.o.core.adoptLease({ leaseId, taskId, replicaId: record.replicaId });
    if (!adopted.ok) return;
    this.o.log.info(
      { replica_id: record.replicaId, lease_id: leaseId, task_id: taskId },
      'control: lease that finished while placement was down adopted',
    );
    this.o.director.leaseAdopted(taskId);
  }

  replicaGone(record: ReplicaRecord): void {
    this.o.director.replicaGone(record.replicaId);
    this.o.metrics.kvUsage.remove(this.replicaLabels(record));
  }

  leaseEvent(record: ReplicaRecord, event: LeaseEvent): void {
    const body = event.event;
    if (!body) return;
    const log = { lease_id: event.leaseId, task_id: event.taskId, replica_id: record.replicaId };
    if (body.$case === 'accepted') {
      this.o.director.leaseAccepted(record.replicaId, event.leaseId);
      return;
    }
    if (body.$case === 'refused') {
      this.o.log.info({ ...log, reason: body.value.reason }, 'Assign refused by the sidecar');
      this.o.director.leaseRefused(record.replicaId, event.leaseId, body.value.reason);
      return;
    }
    if (body.$case === 'started') {
      const result = this.o.core.leaseStarted(event.leaseId);
      if (!result.ok)
        this.o.log.warn({ ...log, err: result.error.message }, 'LeaseStarted for unknown lease');
      return;
    }
    const f = body.value;
    const dispatch = this.o.director.leaseMeta(event.leaseId);
    // ORCH-4015: token counters come from the sidecar's own counts, whatever core thinks.
    const labels = this.replicaLabels(record);
    this.o.metrics.tokensIn.inc(labels, f.tokensIn);
    this.o.metrics.tokensOut.inc(labels, f.tokensOut);
    if (dispatch) {
      const queueLabels = {
        engine: record.engine,
        engine_version: labels.engine_version,
        pool_id: record.register.poolId,
        priority: dispatch.task.priority,
      };
      if (f.tokensOut > 0) {
        // otel-prom.md: admission → Assign (gateway) plus Assign → first token (sidecar).
        this.o.metrics.latencyFirstToken.observe(
          queueLabels,
          dispatch.queueTimeMs + f.firstTokenMs,
        );
        this.o.metrics.latencyDecode.observe(queueLabels, f.decodeTimeMs);
      }
    }
    const reason =
      f.reason === 'stop' || f.reason === 'length' || f.reason === 'canceled' ? f.reason : 'error';
    const verdict = leaseVerdict(reason, f.errorCode);
    this.o.director.breakers.leaseEnded(record.replicaId, event.leaseId, verdict, f.errorCode);
    this.adoptFinished(record, event.leaseId, event.taskId);
    const result = this.o.core.leaseFinished(event.leaseId, {
      reason,
      ...(f.errorCode ? { errorCode: f.errorCode } : {}),
      tokensIn: f.tokensIn,
      tokensOut: f.tokensOut,
      firstTokenMs: f.firstTokenMs,
      decodeTimeMs: f.decodeTimeMs,
    });
    // ORCH-3027: the one line per task that carries every field the seed asks logs to have.
    const task = dispatch?.task;
    this.o.log.info(
      {
        ...log,
        session_id: task?.session_id,
        tenant: task?.tenant,
        pool_id: record.register.poolId,
        model_id: task?.model_ref,
        sampler_profile_version: task?.sampler_profile_version,
        seed: task?.seed,
        priority: task?.priority,
        kv_warmth: dispatch?.kvWarmth,
        queue_time_ms: dispatch === undefined ? undefined : Math.round(dispatch.queueTimeMs),
        correlation_id: task?.correlation_id,
        reason: f.reason,
        error_code: f.errorCode || undefined,
        tokens_in: f.tokensIn,
        tokens_out: f.tokensOut,
        first_token_ms: f.firstTokenMs,
        decode_time_ms: f.decodeTimeMs,
        engine: record.engine,
        engine_version: record.register.engineVersion,
        model_digest: record.register.modelDigest,
      },
      'lease finished',
    );
    if (!result.ok) {
      this.o.log.warn({ ...log, err: result.error.message }, 'LeaseFinished for unknown lease');
    } else if (result.terminal) {
      this.o.director.deliver([result.terminal], 'client');
    }
    this.o.director.kick();
  }

  private replicaLabels(record: ReplicaRecord): {
    engine: Engine;
    engine_version: string;
    pool_id: string;
    replica_id: string;
  } {
    return {
      engine: record.engine,
      engine_version: record.register.engineVersion || 'unknown',
      pool_id: record.register.poolId,
      replica_id: record.replicaId,
    };
  }

  private refreshReplicaGauges(): void {
    // ORCH-3040: a replica held by its circuit breaker is not Ready, as health says.
    const ready = (r: ReplicaRecord): boolean =>
      this.o.registry.isReady(r) && !this.o.director.breakers.reason(r.replicaId);
    const gauge = this.o.metrics.replicasReady;
    gauge.reset();
    for (const r of this.o.registry.list()) {
      const labels = {
        engine: r.engine,
        engine_version: r.register.engineVersion || 'unknown',
        pool_id: r.register.poolId,
      };
      gauge.inc(labels, ready(r) ? 1 : 0);
    }
    this.o.metrics.controlStreams.set(this.o.registry.connected);
    mirrorModelStates(
      this.o.metrics,
      this.o.registry.list().map((r) => ({
        engine: r.engine,
        engineVersion: r.register.engineVersion,
        poolId: r.register.poolId,
        replicaId: r.replicaId,
        modelDigest: r.register.modelDigest,
        ready: ready(r),
        reported: r.heartbeat !== undefined,
        unreadyReason: r.heartbeat?.unreadyReason ?? '',
      })),
    );
  }
}
