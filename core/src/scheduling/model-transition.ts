// ORCH-3031/ORCH-2102: a pool's model identity across a reload. While a transition runs, replicas
// of both the pool's model and the target are eligible, and tasks may name either ref; the sticky
// serving set (replica-registry.ts) still serves one identity at a time and moves to the target's
// set only when the old set has no Ready replica left. Commit makes the target the pool's model
// and keeps the old ref as an alias for a grace period; abort (rollback) forgets the target.
import { CoreError } from '../errors.js';
import type { CoreState } from '../state.js';
import type { ModelIdentity, PoolModel, TransitionResult } from '../types.js';

export function beginTransition(
  s: CoreState,
  poolId: string,
  target: ModelIdentity,
): TransitionResult {
  const pool = s.pools.get(poolId);
  if (!pool) return { ok: false, error: new CoreError('NOT_FOUND', `no pool ${poolId}`) };
  pool.transition = { modelRef: target.modelRef, modelDigest: target.modelDigest };
  s.registry.refreshPool(poolId);
  return { ok: true };
}

export function endTransition(
  s: CoreState,
  poolId: string,
  commit: boolean,
  aliasMs: number,
): TransitionResult {
  const pool = s.pools.get(poolId);
  if (!pool) return { ok: false, error: new CoreError('NOT_FOUND', `no pool ${poolId}`) };
  const target = pool.transition;
  pool.transition = undefined;
  if (commit && target) {
    const old = pool.config.modelRef;
    if (old !== target.modelRef) pool.aliases.set(old, s.now() + Math.max(0, aliasMs));
    pool.aliases.delete(target.modelRef);
    pool.config.modelRef = target.modelRef;
    const { model_digest: _pinned, ...rest } = pool.config.expect;
    pool.config.expect =
      target.modelDigest === undefined ? rest : { ...rest, model_digest: target.modelDigest };
  }
  s.registry.refreshPool(poolId);
  return { ok: true };
}

export function poolModel(s: CoreState, poolId: string): PoolModel | undefined {
  const pool = s.pools.get(poolId);
  if (!pool) return undefined;
  return {
    modelRef: pool.config.modelRef,
    modelDigest: pool.config.expect.model_digest,
    ...(pool.transition ? { transition: { ...pool.transition } } : {}),
  };
}
