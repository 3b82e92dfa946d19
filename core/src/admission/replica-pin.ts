// ORCH-3050 / ORCH-5007: `placement.pin_replica_id` names one replica of the pinned pool, so a
// determinism audit can run the same task on each replica of a set. The pin never bypasses the
// replica-set rule (ORCH-3046/4017) and never falls back to another replica (as ORCH-2013/2014).
import { CoreError } from '../errors.js';
import type { PoolState } from '../model.js';
import type { CoreState } from '../state.js';
import type { Engine, TaskSpecInput } from '../types.js';

const UNREADY_RETRY_MS = 1_000;

/** Why the pinned replica cannot serve the pool's tasks now, or undefined when it can. */
export function pinnedReplicaProblem(
  s: CoreState,
  pool: PoolState,
  replicaId: string,
): string | undefined {
  const rec = s.registry.replicas.get(replicaId);
  if (!rec || rec.state.pool_id !== pool.config.id) {
    return `pinned replica ${replicaId} is not registered in pool ${pool.config.id}`;
  }
  if (!rec.countedReady) return `pinned replica ${replicaId} is not Ready`;
  if (pool.serving?.key !== rec.setKey) {
    return `pinned replica ${replicaId} is not in the serving replica set of pool ${pool.config.id}`;
  }
  return undefined;
}

export function pinUnready(engine: Engine, message: string): CoreError {
  return new CoreError('POOL_UNREADY', message, {
    engine,
    retryAfterMs: UNREADY_RETRY_MS,
    policyLabel: 'placement.pin',
  });
}

/**
 * Admission check. A pin_replica_id without `mode: pin` is INVALID_PARAMS (a replica pin must
 * never be silently ignored); an unknown replica is INVALID_PARAMS; a known replica that cannot
 * serve now is POOL_UNREADY with a retry hint.
 */
export function checkReplicaPin(
  s: CoreState,
  pool: PoolState,
  spec: TaskSpecInput,
): { replicaId: string | undefined } | CoreError {
  const replicaId = spec.placement?.pin_replica_id;
  if (replicaId === undefined) return { replicaId: undefined };
  const engine = spec.engine;
  if (spec.placement?.mode !== 'pin' || replicaId.length === 0) {
    return new CoreError('INVALID_PARAMS', 'pin_replica_id needs mode pin and a pin_pool_id', {
      engine,
      policyLabel: 'placement.pin',
    });
  }
  const rec = s.registry.replicas.get(replicaId);
  if (!rec || rec.state.pool_id !== pool.config.id) {
    return new CoreError(
      'INVALID_PARAMS',
      `pinned replica ${replicaId} is unknown in pool ${pool.config.id}`,
      { engine, policyLabel: 'placement.pin' },
    );
  }
  const problem = pinnedReplicaProblem(s, pool, replicaId);
  return problem ? pinUnready(engine, problem) : { replicaId };
}
