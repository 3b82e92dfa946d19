// Read-only control plane: pool health (ORCH-2103) and replica sets (ORCH-2104, ORCH-3007), from
// what sidecars reported (registry) and core's view of queues and leases (snapshot).
import type { PoolHealth, ReplicaSet, ReplicaSetList, ReplicaStatus } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';
import type { Scheduler } from '@llama-orch/core';
import type { Logger } from 'pino';
import type { ReplicaRecord, ReplicaRegistry } from '../replicas/registry.js';
import { normalizeDigest } from '../replicas/registry.js';
import { replicaLifecycle } from '../replica-health/lifecycle.js';
import type { ReloadTarget } from '../rollout/reload-catalog.js';
import { ReloadCoordinator } from '../rollout/reload-coordinator.js';
import type { ReloadCoordinatorOptions } from '../rollout/reload-coordinator.js';
import type { ReloadRequestInput } from '../rollout/reload-coordinator.js';
import type { ReloadTimings } from '../rollout/reload-run.js';
import { SloWindow } from '../replica-health/slo-window.js';

/** What drains a pool (the Director: core plus delivering terminal events and Cancels). */
interface PoolDrainer {
  drainPool(poolId: string, deadlineMs: number): void;
  /** Run core's dispatch soon (work may flow again after an undrain). */
  kick?(): void;
  /** ORCH-3040: why a replica's circuit breaker keeps it out of placement (undefined: it does not). */
  readonly breakers?: { reason(replicaId: string): string | undefined };
}

/** Reload wiring: the catalog of targets (config models[] + pools' own models) and timings. */
export interface PoolReloadOptions {
  readonly catalog?: readonly ReloadTarget[];
  readonly timings?: Partial<ReloadTimings>;
  readonly wallClock?: () => number;
  readonly log?: Logger;
  readonly commit?: ReloadCoordinatorOptions['commit'];
}

export class PoolService {
  readonly reloads: ReloadCoordinator;
  private readonly slo: SloWindow;

  constructor(
    private readonly core: Scheduler,
    private readonly registry: ReplicaRegistry,
    private readonly clock: () => number,
    private readonly drainer?: PoolDrainer,
    reload: PoolReloadOptions = {},
  ) {
    this.reloads = new ReloadCoordinator({ core, registry, clock, ...reload });
    this.slo = new SloWindow(registry, clock);
  }

  /**
   * ORCH-2101: POST /v1/pools/:id/drain. Unknown pool → NOT_FOUND. With a replica id, only that
   * replica stops taking leases (unknown or foreign replica → NOT_FOUND).
   */
  drain(poolId: string, deadlineMs: number, replicaId?: string): void {
    if (replicaId !== undefined) {
      this.poolReplica(poolId, replicaId);
      this.reloads.refuseWhileRunning(poolId);
      const result = this.core.drainReplica(replicaId, deadlineMs);
      if (!result.ok) throw result.error;
      return;
    }
    if (!this.drainer) throw new CoreError('INTERNAL', 'drain is not wired');
    this.drainer.drainPool(poolId, deadlineMs);
  }

  /** POST /v1/pools/:id/undrain: lift the pool's drain, or one replica's. */
  undrain(poolId: string, replicaId?: string): void {
    if (!this.core.poolModel(poolId)) throw new CoreError('NOT_FOUND', `unknown pool ${poolId}`);
    if (replicaId !== undefined) this.poolReplica(poolId, replicaId);
    this.reloads.refuseWhileRunning(poolId);
    if (replicaId !== undefined) {
      this.core.undrainReplica(replicaId);
    } else {
      const lifted = this.core.undrainPool(poolId);
      if (lifted instanceof CoreError) throw lifted;
      // The sidecars were told to drain too; tell them it is over (Drain.resume).
      if (lifted) {
        this.registry.sendToPool(poolId, {
          cmd: { $case: 'drain', value: { deadlineMs: 0, resume: true } },
        });
      }
    }
    this.drainer?.kick?.();
  }

  /** ORCH-2102: POST /v1/pools/:id/reload; returns the reload id. */
  reload(poolId: string, req: ReloadRequestInput): string {
    return this.reloads.start(poolId, req);
  }

  private poolReplica(poolId: string, replicaId: string): ReplicaRecord {
    if (!this.core.poolModel(poolId)) throw new CoreError('NOT_FOUND', `unknown pool ${poolId}`);
    const record = this.registry.get(replicaId);
    if (!record || record.register.poolId !== poolId) {
      throw new CoreError('NOT_FOUND', `pool ${poolId} has no replica ${replicaId}`);
    }
    return record;
  }

  health(poolId: string): PoolHealth {
    const snapshot = this.core.snapshot();
    const queues = snapshot.queueDepth.filter((q) => q.poolId === poolId);
    if (queues.length === 0) throw new CoreError('NOT_FOUND', `no pool ${poolId}`);
    const records = this.registry.list().filter((r) => r.register.poolId === poolId);
    const loads = snapshot.replicas.filter((r) => r.poolId === poolId);
    // ORCH-3046/4017: a replica outside the pool's serving replica set (other identity or canary
    // hash) never gets work, so health must not call it Ready.
    const outside = new Set(loads.filter((l) => !l.serving).map((l) => l.replicaId));
    const draining = this.core.drainDeadline(poolId) !== undefined;
    const leases = new Map(loads.map((l) => [l.replicaId, l.activeLeases]));
    const drained = (r: ReplicaRecord): boolean =>
      this.core.replicaDrainDeadline(r.replicaId) !== undefined;
    const ready = draining
      ? []
      : records.filter(
          (r) =>
            this.registry.isReady(r) &&
            !outside.has(r.replicaId) &&
            !drained(r) &&
            !this.drainer?.breakers?.reason(r.replicaId),
        );
    const reload = this.reloads.status(poolId);
    const model = this.core.poolModel(poolId);
    const depth = (p: string): number => queues.find((q) => q.priority === p)?.depth ?? 0;
    const kv = records.map((r) => r.heartbeat?.kvUsageRatio ?? 0);
    return {
      pool_id: poolId,
      live: true,
      ready: ready.length > 0,
      draining,
      replicas: records.map((r) =>
        this.status(
          r,
          outside.has(r.replicaId),
          reload?.state === 'running' && r.register.modelRef === reload.to.model_ref,
          // A drained replica shows Draining/Drained while its sidecar still says Ready; once the
          // sidecar reports why it is not (reloading, self-test), that reason shows instead.
          draining || (drained(r) && r.heartbeat?.ready === true)
            ? (leases.get(r.replicaId) ?? 0)
            : -1,
        ),
      ),
      last_error: reload?.error
        ? {
            code: /digest|UNTRUSTED/i.test(reload.error.message)
              ? 'UNTRUSTED_ARTIFACT'
              : 'POOL_UNREADY',
            message: `reload ${reload.reload_id} ${reload.state}: ${reload.error.message} (step ${reload.error.failed_step})`,
            at: reload.finished_at ?? reload.started_at,
          }
        : null,
      metrics: {
        queue_depth: { interactive: depth('interactive'), batch: depth('batch') },
        replicas_ready: ready.length,
        replicas_total: records.length,
        slots_total: records.reduce((n, r) => n + r.register.slots, 0),
        slots_free: ready.reduce((n, r) => n + (r.heartbeat?.slotsFree ?? 0), 0),
        tasks_running: loads.reduce((n, r) => n + r.activeLeases, 0),
        kv_usage_ratio: kv.length === 0 ? 0 : clamp01(kv.reduce((a, b) => a + b, 0) / kv.length),
      },
      ...(model ? { model_ref: model.modelRef } : {}),
      ...(reload ? { reload: structuredClone(reload) } : {}),
    };
  }

  replicaSets(): ReplicaSetList {
    const byKey = new Map<string, ReplicaSet>();
    for (const load of this.core.snapshot().replicas) {
      const record = this.registry.get(load.replicaId);
      if (!record) continue;
      const reg = record.register;
      const set = byKey.get(load.replicaSetKey) ?? {
        id: load.replicaSetKey,
        pool_id: load.poolId,
        engine: record.engine,
        engine_version: reg.engineVersion,
        model_ref: reg.modelRef,
        model_digest: normalizeDigest(reg.modelDigest),
        sampler_profile_version: reg.samplerProfileVersion,
        ctx_max: Math.max(1, reg.ctxMax),
        ...(reg.canaryHash ? { canary_hash: reg.canaryHash } : {}),
        replicas: [],
        load: 0,
        slots_total: 0,
        slots_free: 0,
        replicas_ready: 0,
        slo: this.slo.snapshot(load.replicaSetKey),
      };
      set.replicas.push(load.replicaId);
      set.slots_total += load.slotsTotal;
      set.slots_free += load.ready ? load.slotsFree : 0;
      set.replicas_ready = (set.replicas_ready ?? 0) + (load.ready ? 1 : 0);
      set.load = set.slots_total === 0 ? 0 : clamp01(1 - set.slots_free / set.slots_total);
      byKey.set(load.replicaSetKey, set);
    }
    // ORCH-2104: only sets with at least one Ready replica.
    return { replica_sets: [...byKey.values()].filter((s) => (s.replicas_ready ?? 0) > 0) };
  }

  /** `drainingLeases` ≥ 0 when the pool drains: running leases left on this replica. */
  private status(
    r: ReplicaRecord,
    outsideServingSet: boolean,
    reloadStandby: boolean,
    drainingLeases: number,
  ): ReplicaStatus {
    const hb = r.heartbeat;
    const since = Number.isFinite(r.lastHeartbeatAt) ? r.lastHeartbeatAt : r.connectedAt;
    const life = replicaLifecycle({
      heartbeat: hb !== undefined,
      reportedReady: hb?.ready === true,
      reportedReason: hb?.unreadyReason ?? '',
      fresh: this.registry.isFresh(r),
      heartbeatAgeMs: this.clock() - since,
      outsideServingSet,
      reloadStandby,
      drainingLeases: drainingLeases < 0 ? undefined : drainingLeases,
      suspect: r.suspect,
      circuit: this.drainer?.breakers?.reason(r.replicaId),
    });
    const ready = life.state === 'Ready';
    const reason = life.reason;
    return {
      replica_id: r.replicaId,
      ready,
      ...(reason ? { unready_reason: reason } : {}),
      engine: r.engine,
      engine_version: r.register.engineVersion,
      model_ref: r.register.modelRef,
      model_digest: normalizeDigest(r.register.modelDigest),
      sampler_profile_version: r.register.samplerProfileVersion,
      advertise_address: r.register.advertiseAddress,
      ...(r.register.canaryHash ? { canary_hash: r.register.canaryHash } : {}),
      slots: r.register.slots,
      slots_free: hb?.slotsFree ?? 0,
      running: hb?.running ?? 0,
      waiting: hb?.waiting ?? 0,
      kv_usage_ratio: clamp01(hb?.kvUsageRatio ?? 0),
      heartbeat_age_ms: Math.max(0, Math.round(this.clock() - since)),
    };
  }
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
