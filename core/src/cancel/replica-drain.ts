// Per-replica drain (a reload step, ORCH-3031; or an operator) and undrain of pools and replicas.
// A drained replica takes no new lease, whatever it reports; unlike a pool drain, queued tasks stay
// queued because the pool's other replicas still serve them. Running leases finish until the
// deadline, then drainOverdue (drain.ts) lists them for cancel. An undrain replays what the
// replica last reported, so it serves again at once if it says it is Ready.
import { CoreError } from '../errors.js';
import type { CoreState } from '../state.js';
import type { ReplicaDrainResult, ReplicaState } from '../types.js';

/** The state core places by: what the replica reported, minus readiness while drained. */
export function effectiveState(s: CoreState, state: ReplicaState): ReplicaState {
  const drained = s.draining.has(state.pool_id) || s.replicaDrains.has(state.replica_id);
  return drained && state.ready ? { ...state, ready: false } : state;
}

export function drainReplica(
  s: CoreState,
  replicaId: string,
  deadlineMs: number,
): ReplicaDrainResult {
  const reported = s.reported.get(replicaId);
  if (!reported) {
    return { ok: false, error: new CoreError('NOT_FOUND', `no replica ${replicaId}`) };
  }
  const deadlineAt = s.now() + Math.max(0, deadlineMs);
  const previous = s.replicaDrains.get(replicaId);
  // As for pools: draining again never extends a deadline already promised.
  s.replicaDrains.set(
    replicaId,
    previous === undefined ? deadlineAt : Math.min(previous, deadlineAt),
  );
  s.registry.upsert(effectiveState(s, reported));
  return { ok: true, deadlineAt: s.replicaDrains.get(replicaId) as number };
}

/** Lift a replica's own drain (its pool may still drain). False when it was not drained. */
export function undrainReplica(s: CoreState, replicaId: string): boolean {
  if (!s.replicaDrains.delete(replicaId)) return false;
  const reported = s.reported.get(replicaId);
  if (reported) s.registry.upsert(effectiveState(s, reported));
  return true;
}

/** Lift a pool drain; its replicas serve again as they last reported. */
export function undrainPool(s: CoreState, poolId: string): boolean | CoreError {
  if (!s.pools.has(poolId)) return new CoreError('NOT_FOUND', `no pool ${poolId}`);
  if (!s.draining.delete(poolId)) return false;
  for (const reported of s.reported.values()) {
    if (reported.pool_id === poolId) s.registry.upsert(effectiveState(s, reported));
  }
  return true;
}
