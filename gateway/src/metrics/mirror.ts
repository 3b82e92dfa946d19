// Gauges that mirror state held elsewhere (core's snapshot, the replica registry). Each refresh
// rewrites the family, so series of tenants or replicas that went away do not linger.
import type { SchedulerSnapshot } from '@llama-orch/core';
import type { GatewayMetrics, ModelState } from './metrics.js';
import { MODEL_STATES } from './metrics.js';

/** ORCH-3077 admission_share and ORCH-3081 deadlines_met_ratio from core.snapshot(). */
export function mirrorSnapshot(metrics: GatewayMetrics, snapshot: SchedulerSnapshot): void {
  // Fold first, then sum: tenants past the budget share one `other` series.
  const shares = new Map<string, { tenant: string; priority: string; share: number }>();
  for (const e of snapshot.admissionShare) {
    const tenant = metrics.budget.fold('tenant', e.tenant);
    const key = `${tenant}\u0000${e.priority}`;
    const prev = shares.get(key);
    shares.set(key, { tenant, priority: e.priority, share: (prev?.share ?? 0) + e.share });
  }
  metrics.admissionShare.reset();
  for (const s of shares.values())
    metrics.admissionShare.set({ tenant: s.tenant, priority: s.priority }, s.share);
  metrics.deadlinesMet.reset();
  for (const d of snapshot.deadlinesMetRatio)
    metrics.deadlinesMet.set({ priority: d.priority }, d.ratio);
}

export interface ReplicaStateView {
  readonly engine: string;
  readonly engineVersion: string;
  readonly poolId: string;
  readonly replicaId: string;
  readonly modelDigest: string;
  readonly ready: boolean;
  /** Heartbeat received yet; before the first one the model is still loading. */
  readonly reported: boolean;
  readonly unreadyReason: string;
}

/** Maps what the sidecar reported onto the spec's `state` values. */
export function modelStateOf(r: ReplicaStateView): ModelState {
  if (r.ready) return 'ready';
  if (!r.reported) return 'loading';
  const reason = r.unreadyReason.toLowerCase();
  if (reason.includes('drain')) return 'draining';
  if (reason.includes('self') || reason.includes('canary') || reason.includes('determinism'))
    return 'self_test';
  if (reason.includes('load') || reason.includes('start')) return 'loading';
  if (reason.includes('fail') || reason.includes('budget')) return 'failed';
  return 'unready';
}

/** model_state: one series per state, 1 for the current one (a classic state-set gauge). */
export function mirrorModelStates(
  metrics: GatewayMetrics,
  replicas: readonly ReplicaStateView[],
): void {
  metrics.modelState.reset();
  for (const r of replicas) {
    const current = modelStateOf(r);
    for (const state of MODEL_STATES) {
      metrics.modelState.set(
        {
          engine: r.engine,
          engine_version: r.engineVersion || 'unknown',
          pool_id: r.poolId,
          replica_id: r.replicaId,
          model_digest: r.modelDigest || 'unknown',
          state,
        },
        state === current ? 1 : 0,
      );
    }
  }
}
