// Read-only control plane: pool health (ORCH-2103) and replica sets (ORCH-2104, ORCH-3007), from
// what sidecars reported (registry) and core's view of queues and leases (snapshot).
import type { PoolHealth, ReplicaSet, ReplicaSetList, ReplicaStatus } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';
import type { Scheduler } from '@llama-orch/core';
import type { ReplicaRecord, ReplicaRegistry } from '../replicas/registry.js';
import { normalizeDigest } from '../replicas/registry.js';
import { replicaLifecycle } from './lifecycle.js';

/** What drains a pool (the Director: core plus delivering terminal events and Cancels). */
export interface PoolDrainer {
  drainPool(poolId: string, deadlineMs: number): void;
}

export class PoolService {
  constructor(
    private readonly core: Scheduler,
    private readonly registry: ReplicaRegistry,
    private readonly clock: () => number,
    private readonly drainer?: PoolDrainer,
  ) {}

  /** ORCH-2101: POST /v1/pools/:id/drain. Unknown pool → NOT_FOUND. */
  drain(poolId: string, deadlineMs: number): void {
    if (!this.drainer) throw new CoreError('INTERNAL', 'drain is not wired');
    this.drainer.drainPool(poolId, deadlineMs);
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
    const ready = draining
      ? []
      : records.filter((r) => this.registry.isReady(r) && !outside.has(r.replicaId));
    const depth = (p: string): number => queues.find((q) => q.priority === p)?.depth ?? 0;
    const kv = records.map((r) => r.heartbeat?.kvUsageRatio ?? 0);
    return {
      pool_id: poolId,
      live: true,
      ready: ready.length > 0,
      draining,
      replicas: records.map((r) =>
        this.status(r, outside.has(r.replicaId), draining ? (leases.get(r.replicaId) ?? 0) : -1),
      ),
      last_error: null,
      metrics: {
        queue_depth: { interactive: depth('interactive'), batch: depth('batch') },
        replicas_ready: ready.length,
        replicas_total: records.length,
        slots_total: records.reduce((n, r) => n + r.register.slots, 0),
        slots_free: ready.reduce((n, r) => n + (r.heartbeat?.slotsFree ?? 0), 0),
        tasks_running: loads.reduce((n, r) => n + r.activeLeases, 0),
        kv_usage_ratio: kv.length === 0 ? 0 : clamp01(kv.reduce((a, b) => a + b, 0) / kv.length),
      },
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
      };
      set.replicas.push(load.replicaId);
      set.slots_total += load.slotsTotal;
      set.slots_free += load.ready ? load.slotsFree : 0;
      set.load = set.slots_total === 0 ? 0 : clamp01(1 - set.slots_free / set.slots_total);
      byKey.set(load.replicaSetKey, set);
    }
    return { replica_sets: [...byKey.values()] };
  }

  /** `drainingLeases` ≥ 0 when the pool drains: running leases left on this replica. */
  private status(
    r: ReplicaRecord,
    outsideServingSet: boolean,
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
      drainingLeases: drainingLeases < 0 ? undefined : drainingLeases,
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
