// Which pool serves a task. Pinned (ORCH-2013/2014): the named pool or a typed error, never a
// fallback. Otherwise: pools whose engine and model_ref match; among Ready ones the least backlog
// per Ready replica wins, ties by pool id. No Ready pool → POOL_UNREADY when replicas exist but
// none is Ready, POOL_UNAVAILABLE when none is registered (ORCH-3018), both with retry hints.
import { CoreError } from '../errors.js';
import type { PoolState } from '../model.js';
import type { CoreState } from '../state.js';
import type { TaskSpecInput } from '../types.js';

const UNREADY_RETRY_MS = 1_000;
const UNAVAILABLE_RETRY_MS = 5_000;

function backlog(pool: PoolState): number {
  return pool.lanes.interactive.arrivals.size + pool.lanes.batch.arrivals.size;
}

function isReady(pool: PoolState): boolean {
  return pool.serving !== undefined && pool.serving.readyCount > 0;
}

/**
 * The model refs a pool answers to: its own; during a reload also the target (ORCH-3031); after a
 * reload the previous ref for a grace period, so clients switching over never see a 400 for it.
 */
function answersTo(pool: PoolState, modelRef: string, now: number): boolean {
  if (pool.config.modelRef === modelRef || pool.transition?.modelRef === modelRef) return true;
  return (pool.aliases.get(modelRef) ?? -Infinity) > now;
}

/**
 * `restored` (ORCH-4030): a journaled task admitted again after a placement restart, before the
 * sidecars have re-registered; it takes a matching pool whether or not a replica is Ready yet.
 */
export function resolvePool(
  s: CoreState,
  spec: TaskSpecInput,
  restored = false,
): PoolState | CoreError {
  const engine = spec.engine;
  if (spec.placement?.mode === 'pin') {
    const id = spec.placement.pin_pool_id;
    const pool = id === undefined ? undefined : s.pools.get(id);
    if (!pool) {
      // ORCH-2013: a well-formed request naming a pool that does not exist: 404, as for any
      // unknown resource (not 400: nothing in the request itself is malformed).
      return new CoreError('NOT_FOUND', `pinned pool ${id ?? '(none)'} is unknown`, {
        engine,
        policyLabel: 'placement.pin',
      });
    }
    if (pool.config.engine !== spec.engine || !answersTo(pool, spec.model_ref, s.now())) {
      return new CoreError(
        'INVALID_PARAMS',
        `pinned pool ${pool.config.id} serves ${pool.config.engine}/${pool.config.modelRef}`,
        { engine, policyLabel: 'placement.pin' },
      );
    }
    if (!isReady(pool) && !restored) {
      return new CoreError('POOL_UNREADY', `pinned pool ${pool.config.id} has no Ready replica`, {
        engine,
        retryAfterMs: UNREADY_RETRY_MS,
        policyLabel: 'placement.pin',
      });
    }
    return pool;
  }
  let best: PoolState | undefined;
  let fallback: PoolState | undefined;
  let bestLoad = Infinity;
  let anyMatch = false;
  let anyMembers = false;
  let largestCtx = 0;
  for (const pool of s.poolList) {
    if (pool.config.engine !== spec.engine || !answersTo(pool, spec.model_ref, s.now())) continue;
    anyMatch = true;
    largestCtx = Math.max(largestCtx, pool.config.ctxMax);
    // ORCH-3014: a pool whose ctx_max is too small is not a candidate at all.
    if (spec.ctx > pool.config.ctxMax) continue;
    if (s.registry.hasMembers(pool)) anyMembers = true;
    fallback ??= pool;
    if (!isReady(pool)) continue;
    const load = backlog(pool) / (pool.serving?.readyCount ?? 1);
    if (load < bestLoad) {
      best = pool;
      bestLoad = load;
    }
  }
  if (best) return best;
  if (restored && fallback) return fallback;
  if (!anyMatch) {
    // ORCH-2008: the model is served, by another engine: the request contradicts the fleet (400).
    // ORCH-2013: no pool serves the model at all: an unknown resource (404), as on the OpenAI
    // routes.
    const otherEngine = s.poolList.some((pool) => answersTo(pool, spec.model_ref, s.now()));
    return new CoreError(
      otherEngine ? 'INVALID_PARAMS' : 'NOT_FOUND',
      `no pool serves model_ref ${spec.model_ref} on engine ${spec.engine}`,
      { engine },
    );
  }
  if (spec.ctx > largestCtx) {
    return new CoreError('INVALID_PARAMS', `ctx ${spec.ctx} exceeds ctx_max ${largestCtx}`, {
      engine,
    });
  }
  return anyMembers
    ? new CoreError('POOL_UNREADY', `no Ready replica for ${spec.model_ref}`, {
        engine,
        retryAfterMs: UNREADY_RETRY_MS,
        policyLabel: 'pool.unready',
      })
    : new CoreError('POOL_UNAVAILABLE', `no replica registered for ${spec.model_ref}`, {
        engine,
        retryAfterMs: UNAVAILABLE_RETRY_MS,
        policyLabel: 'pool.unavailable',
      });
}
