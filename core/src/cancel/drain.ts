// ORCH-2101: draining a pool. Its replicas take no new leases (core treats them as not Ready, so
// placement, admission and pins all skip them); queued tasks have no replica left to go to and fail
// with a typed, retriable error; running leases finish, and those still running at the deadline are
// returned so the caller cancels them (the cancel state machine then ends each exactly once).
import { CoreError } from '../errors.js';
import type { CoreState } from '../state.js';
import { PRIORITIES } from '../types.js';
import type { DrainResult, TerminalEvent } from '../types.js';

export function drainPool(s: CoreState, poolId: string, deadlineMs: number): DrainResult {
  if (!s.pools.has(poolId)) {
    return { ok: false, error: new CoreError('NOT_FOUND', `no pool ${poolId}`) };
  }
  const deadlineAt = s.now() + Math.max(0, deadlineMs);
  const previous = s.draining.get(poolId);
  // Draining again is allowed (202 again) but never extends the deadline already promised.
  s.draining.set(poolId, previous === undefined ? deadlineAt : Math.min(previous, deadlineAt));
  for (const rec of s.registry.replicas.values()) {
    if (rec.state.pool_id === poolId && rec.state.ready) {
      s.registry.upsert({ ...rec.state, ready: false });
    }
  }
  return { ok: true, deadlineAt: s.draining.get(poolId) as number, terminal: failQueued(s) };
}

/** Queued tasks of draining pools (new ones can come from requeued leases) fail at once. */
export function failQueued(s: CoreState): TerminalEvent[] {
  const terminal: TerminalEvent[] = [];
  for (const poolId of s.draining.keys()) {
    const pool = s.pools.get(poolId);
    if (!pool) continue;
    for (const priority of PRIORITIES) {
      const lane = pool.lanes[priority];
      for (let task = lane.arrivals.head; task; task = lane.arrivals.head) {
        const ev = s.finish(
          task,
          'drop',
          'error',
          new CoreError('POOL_UNAVAILABLE', `pool ${poolId} is draining`, {
            engine: task.spec.engine,
            retryAfterMs: pool.meanServiceMs,
            policyLabel: 'pool.draining',
          }),
        );
        if (!ev) break;
        terminal.push(ev);
      }
    }
  }
  return terminal;
}

/**
 * Tasks on a draining pool's (or drained replica's) replicas whose drain deadline has passed and that were not asked to
 * cancel yet: the caller cancels them (Cancel to the sidecar, terminal event from its outcome).
 */
export function drainOverdue(s: CoreState): string[] {
  const now = s.now();
  const overdue: string[] = [];
  for (const task of s.leases.values()) {
    // The earlier of the pool's drain and the replica's own drain (a reload step) applies.
    const deadlineAt = Math.min(
      s.draining.get(task.poolId) ?? Infinity,
      (task.lease === undefined ? undefined : s.replicaDrains.get(task.lease.replicaId)) ??
        Infinity,
    );
    if (deadlineAt > now) continue;
    if (task.state === 'dispatched' || task.state === 'running') overdue.push(task.spec.task_id);
  }
  return overdue.sort();
}
