// ORCH-4007/4031: after a gateway restart, sidecars re-report the leases they are still serving
// (Register.active_leases). Adopting them rebuilds enough state for slot accounting, cancel and the
// eventual LeaseFinished to work; the stream itself never needed the gateway. A task the gateway
// re-admitted from its journal (ORCH-4030) is still queued when its lease comes back: it leaves the
// queue for that lease, so it is never dispatched twice.
import { admittedSpec } from '../admission/task-spec.js';
import { CoreError } from '../errors.js';
import type { ReplicaRec, TaskRec } from '../model.js';
import { injectSeed } from '../seed.js';
import type { CoreState } from '../state.js';
import type { AdoptedLease, LeaseResult } from '../types.js';

export function adoptLease(s: CoreState, lease: AdoptedLease): LeaseResult {
  const replica = s.registry.replicas.get(lease.replicaId);
  if (!replica) {
    return {
      ok: false,
      error: new CoreError('NOT_FOUND', `replica ${lease.replicaId} is not registered`),
    };
  }
  const known = s.leases.get(lease.leaseId);
  if (known) {
    // Re-reported twice (e.g. two reconnects): idempotent when it names the same task and replica.
    return known.spec.task_id === lease.taskId && known.lease?.replicaId === lease.replicaId
      ? { ok: true }
      : { ok: false, error: new CoreError('LEASE_INVALID', `lease ${lease.leaseId} conflicts`) };
  }
  const queued = s.tasks.get(lease.taskId);
  if (queued) return adoptQueued(s, queued, lease);
  const pool = s.pools.get(replica.state.pool_id);
  if (!pool) {
    return {
      ok: false,
      error: new CoreError('INVALID_PARAMS', `pool ${replica.state.pool_id} is not configured`),
    };
  }
  const now = s.now();
  const tenant = lease.tenant ?? '';
  const priority = lease.priority ?? 'interactive';
  const rec: TaskRec = {
    spec: admittedSpec(
      {
        task_id: lease.taskId,
        session_id: '',
        ctx: pool.config.ctxMax,
        max_tokens: 0,
        deadline_ms: 0,
        seed: injectSeed(lease.taskId),
        prompt: '',
        correlation_id: '',
      },
      s.specShapes.intern({
        tenant,
        workload: 'completion',
        model_ref: replica.state.model_ref,
        engine: replica.state.engine,
        priority,
        determinism: 'strict',
        sampler_profile_version: replica.state.sampler_profile_version,
        prompt_format: pool.config.promptFormat,
        heldText: undefined,
      }),
    ),
    poolId: pool.config.id,
    seq: s.seq++,
    admittedAt: now,
    deadline: undefined,
    estTokens: 0,
    queuePosition: 0,
    predictedStartMs: 0,
    state: 'running',
    attached: true,
    // An adopted lease is already running on its replica (no pin: a requeue may place it
    // anywhere) and attached.
    rare: { pinReplicaId: undefined, charge: undefined, attachBy: Infinity },
    attempts: 1,
    lease: { leaseId: lease.leaseId, replicaId: lease.replicaId, startedAt: now },
    flowPos: -1,
    prev: null,
    next: null,
    waitPrev: null,
    waitNext: null,
    terminal: undefined,
    tag: -1,
  };
  s.tasks.set(rec.spec.task_id, rec);
  s.leases.set(lease.leaseId, rec);
  s.live++;
  s.quotas.track(tenant);
  s.registry.leaseDelta(replica, +1);
  return { ok: true };
}

/** A known task re-reported as running: only a queued, never-leased task of the same pool. */
function adoptQueued(s: CoreState, task: TaskRec, lease: AdoptedLease): LeaseResult {
  const replica = s.registry.replicas.get(lease.replicaId) as ReplicaRec;
  if (task.state !== 'queued' || task.lease !== undefined || task.terminal) {
    return {
      ok: false,
      error: new CoreError('INVALID_PARAMS', `task ${lease.taskId} already known`),
    };
  }
  if (task.poolId !== replica.state.pool_id) {
    return {
      ok: false,
      error: new CoreError(
        'LEASE_INVALID',
        `task ${lease.taskId} is queued in pool ${task.poolId}, not ${replica.state.pool_id}`,
      ),
    };
  }
  s.unqueue(task);
  s.unattached.delete(task);
  s.move(task, 'dispatch');
  s.move(task, 'start');
  const now = s.now();
  task.attached = true;
  task.attempts += 1;
  task.lease = { leaseId: lease.leaseId, replicaId: lease.replicaId, startedAt: now };
  s.leases.set(lease.leaseId, task);
  s.registry.leaseDelta(replica, +1);
  return { ok: true };
}
