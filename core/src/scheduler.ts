// The facade: the only stateful object the gateway holds. Every method is synchronous, does no I/O
// and reads time only through the injected clock, so the same call sequence gives the same result.
import { CoreError } from './errors.js';
import type {
  AdmitHints,
  AdmitResult,
  AttachResult,
  CancelOutcome,
  DispatchBatch,
  LeaseOutcome,
  LeaseResult,
  RemoveReplicaResult,
  ReplicaState,
  SchedulerOptions,
  SchedulerSnapshot,
  SessionInfo,
  TaskSpecInput,
  TaskView,
  TickResult,
} from './types.js';

function todo(): never {
  throw new CoreError('INTERNAL', 'core: not implemented yet');
}

export class Scheduler {
  constructor(_options: SchedulerOptions) {}

  /** ORCH-2001/3014/3015/3036/3079: admission before enqueue. */
  admit(_spec: TaskSpecInput, _tenant: string, _hints?: AdmitHints): AdmitResult {
    return todo();
  }
  /** A client now waits on the stream; only attached tasks are dispatched. */
  attach(_taskId: string): AttachResult {
    return todo();
  }
  detach(_taskId: string): void {
    todo();
  }
  /** ORCH-2003/3017/3026: idempotent, race-free cancel. */
  cancel(_taskId: string, _reason?: string): CancelOutcome {
    return todo();
  }
  upsertReplica(_state: ReplicaState): void {
    todo();
  }
  removeReplica(_replicaId: string): RemoveReplicaResult {
    return todo();
  }
  dispatch(_limit?: number): DispatchBatch {
    return todo();
  }
  leaseStarted(_leaseId: string): LeaseResult {
    return todo();
  }
  leaseFinished(_leaseId: string, _outcome: LeaseOutcome): LeaseResult {
    return todo();
  }
  leaseFailed(_leaseId: string, _code: string, _message?: string): LeaseResult {
    return todo();
  }
  tick(): TickResult {
    return todo();
  }
  snapshot(): SchedulerSnapshot {
    return todo();
  }
  session(_sessionId: string): SessionInfo | undefined {
    return todo();
  }
  deleteSession(_sessionId: string): boolean {
    return todo();
  }
  task(_taskId: string): TaskView | undefined {
    return todo();
  }
}
