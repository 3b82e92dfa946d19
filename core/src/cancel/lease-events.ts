// Cancel and lease lifecycle, all through the state machine (ORCH-3017/3025/3026, ORCH-4015).
// A lease that never started may be retried on another replica when its failure is retriable;
// once started (tokens may have reached the client) a failure is terminal.
import { CoreError, isErrorCode } from '../errors.js';
import type { LeaseRun, TaskRec } from '../model.js';
import { observe } from '../admission/service-time.js';
import type { CoreState } from '../state.js';
import type {
  CancelOutcome,
  LeaseOutcome,
  LeaseResult,
  RemoveReplicaResult,
  TerminalEvent,
} from '../types.js';

function leaseInvalid(leaseId: string): LeaseResult {
  return {
    ok: false,
    error: new CoreError('LEASE_INVALID', `lease ${leaseId} is unknown or already ended`),
  };
}

export function cancelTask(s: CoreState, taskId: string): CancelOutcome {
  const task = s.tasks.get(taskId);
  if (!task) {
    return { kind: 'not_found', error: new CoreError('NOT_FOUND', `task ${taskId} not found`) };
  }
  if (task.terminal) return { kind: 'already_terminal', state: task.terminal.state };
  if (task.state === 'queued') {
    const event = s.finish(task, 'cancel', 'canceled') as TerminalEvent;
    return { kind: 'canceled', event };
  }
  const { leaseId, replicaId } = task.lease as LeaseRun;
  if (task.state === 'cancel_requested') return { kind: 'already_requested', leaseId, replicaId };
  s.move(task, 'cancel');
  return { kind: 'cancel_requested', leaseId, replicaId };
}

export function leaseStarted(s: CoreState, leaseId: string): LeaseResult {
  const task = s.leases.get(leaseId);
  if (!task) return leaseInvalid(leaseId);
  const lease = task.lease as LeaseRun;
  if (lease.startedAt === undefined) lease.startedAt = s.now();
  s.move(task, 'start');
  return { ok: true };
}

export function leaseFinished(s: CoreState, leaseId: string, outcome: LeaseOutcome): LeaseResult {
  const task = s.leases.get(leaseId);
  if (!task) return leaseInvalid(leaseId);
  const now = s.now();
  const tokens =
    outcome.tokensIn !== undefined || outcome.tokensOut !== undefined
      ? (outcome.tokensIn ?? 0) + (outcome.tokensOut ?? 0)
      : undefined;
  const pool = s.pool(task);
  const { replicaId, startedAt } = task.lease as LeaseRun;
  if (outcome.reason === 'stop' || outcome.reason === 'length') {
    observe(
      pool,
      s.config.serviceTime.alpha,
      outcome,
      startedAt !== undefined ? now - startedAt : undefined,
    );
    const terminal = s.finish(task, 'end_ok', outcome.reason, undefined, tokens);
    if (terminal && task.spec.session_id) {
      const time = (outcome.firstTokenMs ?? 0) + (outcome.decodeTimeMs ?? 0);
      s.sessions.recordTurn(
        { tenant: task.spec.tenant, sessionId: task.spec.session_id },
        replicaId,
        tokens ?? task.estTokens,
        time,
        (tokens ?? task.estTokens) * pool.config.kvMbPerToken,
        now,
      );
    }
    return terminal ? { ok: true, terminal } : { ok: true };
  }
  if (outcome.reason === 'canceled') {
    const terminal = s.finish(task, 'end_canceled', 'canceled', undefined, tokens);
    return terminal ? { ok: true, terminal } : { ok: true };
  }
  const code =
    outcome.errorCode !== undefined && isErrorCode(outcome.errorCode)
      ? outcome.errorCode
      : 'INTERNAL';
  const error = new CoreError(code, `lease ${leaseId} ended with ${outcome.errorCode ?? 'error'}`, {
    engine: task.spec.engine,
  });
  const terminal = s.finish(task, 'end_error', 'error', error, tokens);
  return terminal ? { ok: true, terminal } : { ok: true };
}

/** Requeue a never-started lease when retriable and attempts remain; else end the task. */
function failLease(s: CoreState, task: TaskRec, error: CoreError): LeaseResult {
  const canRetry =
    task.lease?.startedAt === undefined &&
    error.retriable &&
    task.attempts < s.config.maxAttempts &&
    task.state === 'dispatched';
  if (canRetry) {
    s.releaseLease(task);
    task.lease = undefined;
    s.move(task, 'requeue');
    s.enqueue(task, true);
    return { ok: true, requeued: true };
  }
  const event = task.state === 'cancel_requested' ? 'requeue' : 'end_error';
  const terminal = s.finish(task, event, 'error', error);
  return terminal ? { ok: true, terminal } : { ok: true };
}

export function leaseFailed(
  s: CoreState,
  leaseId: string,
  code: string,
  message?: string,
): LeaseResult {
  const task = s.leases.get(leaseId);
  if (!task) return leaseInvalid(leaseId);
  const error = new CoreError(
    isErrorCode(code) ? code : 'INTERNAL',
    message ?? `lease ${leaseId} failed: ${code}`,
    {
      engine: task.spec.engine,
    },
  );
  return failLease(s, task, error);
}

export function removeReplica(s: CoreState, replicaId: string): RemoveReplicaResult {
  const result: RemoveReplicaResult = { requeued: [], terminal: [] };
  const rec = s.registry.remove(replicaId);
  if (!rec) return result;
  // Map order is lease creation order, so the outcome is deterministic.
  const affected = [...s.leases.values()].filter((t) => t.lease?.replicaId === replicaId);
  for (const task of affected) {
    const error = new CoreError('WORKER_RESET', `replica ${replicaId} was lost`, {
      engine: task.spec.engine,
      retryAfterMs: 1_000,
    });
    const r = failLease(s, task, error);
    if (r.ok && r.requeued) result.requeued.push(task.spec.task_id);
    else if (r.ok && r.terminal) result.terminal.push(r.terminal);
  }
  return result;
}
