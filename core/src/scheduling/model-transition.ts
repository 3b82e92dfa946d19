// ORCH-3031/ORCH-2102: a pool's model identity across a reload. While a transition runs, replicas
// of both the pool's model and the target are eligible, and tasks may name either ref; the sticky
// serving set (replica-registry.ts) still serves one identity at a time and moves to the target's
// set only when the old set has no Ready replica left. Commit makes the target the pool's model
// and keeps the old ref as an alias for a grace period; abort (rollback) forgets the target.
// ORCH-3033 canary: while a split is set, each task picks one side by a hash of its session id
// (else its task id), so its set is reproducible and a session stays on one side; each side is
// one replica set, so a placement still never mixes identities (ORCH-3046).
import { CoreError } from '../errors.js';
import type { PoolState, ReplicaSet, TaskRec } from '../model.js';
import type { CoreState } from '../state.js';
import type { ModelIdentity, PoolModel, ReplicaState, TransitionResult } from '../types.js';

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
  pool.canary = undefined;
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
    ...(pool.canary
      ? { canary: { share: pool.canary.share, dispatched: { ...pool.canary.dispatched } } }
      : {}),
  };
}

/**
 * ORCH-3033: route `share` (0 < share < 1) of the pool's tasks to the transition target's replica
 * set; `undefined` ends the split (every task to the sticky serving set again). Needs a transition.
 */
export function setCanary(
  s: CoreState,
  poolId: string,
  share: number | undefined,
): TransitionResult {
  const pool = s.pools.get(poolId);
  if (!pool) return { ok: false, error: new CoreError('NOT_FOUND', `no pool ${poolId}`) };
  if (share === undefined) {
    pool.canary = undefined;
    return { ok: true };
  }
  if (!pool.transition) {
    return {
      ok: false,
      error: new CoreError('INVALID_PARAMS', `pool ${poolId} has no reload target to canary`),
    };
  }
  if (!(share > 0 && share < 1)) {
    return {
      ok: false,
      error: new CoreError('INVALID_PARAMS', `canary share ${share} is not in (0, 1)`),
    };
  }
  pool.canary = { share, dispatched: pool.canary?.dispatched ?? { canary: 0, stable: 0 } };
  return { ok: true };
}

/** FNV-1a (32 bit) of `key`, mapped to [0, 1): stable across processes and restarts. */
export function canaryBucket(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 0x1_0000_0000;
}

type CanarySide = 'canary' | 'stable';

interface SetChoice {
  readonly set: ReplicaSet | undefined;
  /** Only while a canary split holds. */
  readonly side?: CanarySide;
}

function servesIdentity(id: ModelIdentity, s: ReplicaState): boolean {
  return (
    s.model_ref === id.modelRef &&
    (id.modelDigest === undefined || s.model_digest === id.modelDigest)
  );
}

/** The set serving `id` with a usable replica: the sticky serving set if it does, else the oldest. */
function setServing(pool: PoolState, id: ModelIdentity): ReplicaSet | undefined {
  const serves = (set: ReplicaSet): boolean => {
    if (set.readyCount === 0) return false;
    for (const m of set.members) if (m.countedReady && servesIdentity(id, m.state)) return true;
    return false;
  };
  if (pool.serving && serves(pool.serving)) return pool.serving;
  let best: ReplicaSet | undefined;
  for (const set of pool.sets.values()) {
    if (serves(set) && (!best || set.createdSeq < best.createdSeq)) best = set;
  }
  return best;
}

/**
 * The replica set a task is placed in. Without a canary: the pool's serving set. With one: the
 * task's side by bucket; a side with no usable replica (being reloaded, rolled back) hands its
 * tasks to the other side rather than fail them.
 */
export function chooseSet(pool: PoolState, task: TaskRec): SetChoice {
  const split = pool.canary;
  const target = pool.transition;
  if (!split || !target) return { set: pool.serving };
  const current: ModelIdentity = {
    modelRef: pool.config.modelRef,
    modelDigest: pool.config.expect.model_digest,
  };
  const stable = setServing(pool, current);
  const canary = setServing(pool, target);
  const wantsCanary = canaryBucket(task.spec.session_id || task.spec.task_id) < split.share;
  if (wantsCanary && canary) return { set: canary, side: 'canary' };
  if (stable) return { set: stable, side: 'stable' };
  return canary ? { set: canary, side: 'canary' } : { set: undefined };
}

/** Whether the pool places tasks in this set now: its serving set, or either side of a canary. */
export function placesIn(pool: PoolState, setKey: string): boolean {
  if (!pool.canary || !pool.transition) return pool.serving?.key === setKey;
  const current: ModelIdentity = {
    modelRef: pool.config.modelRef,
    modelDigest: pool.config.expect.model_digest,
  };
  return (
    setServing(pool, current)?.key === setKey || setServing(pool, pool.transition)?.key === setKey
  );
}

/** Whether any set the pool may place in has a Ready replica with a free slot. */
export function hasRoom(pool: PoolState): boolean {
  if (!pool.canary || !pool.transition) return (pool.serving?.ready.size ?? 0) > 0;
  for (const set of pool.sets.values()) if (set.ready.size > 0) return true;
  return false;
}

export function countDispatch(pool: PoolState, side: CanarySide | undefined): void {
  if (side && pool.canary) pool.canary.dispatched[side] += 1;
}
