// Internal records. Not exported from index.ts: callers see TaskView/ReplicaLoad read models.
import type { QuotaCharge } from './admission/quotas.js';
import type { AdmittedSpec } from './admission/task-spec.js';
import type { NormPool } from './config.js';
import type { ArrivalList, ArrivalNode } from './queue/arrival-list.js';
import type { UnattachedNode } from './queue/unattached-list.js';
import type { StrideFlow, StrideScheduler } from './fairness/stride-scheduler.js';
import type { IndexedHeap } from './util/indexed-heap.js';
import type { ModelIdentity, Priority, ReplicaState, TaskState, TerminalEvent } from './types.js';

/**
 * A task's deadline (only tasks with `deadline_ms` > 0 have one). Issue 19: kept out of TaskRec so
 * that the common task without a deadline holds no boxed doubles for it.
 */
export interface TaskDeadline {
  /** Absolute deadline (clock time). */
  readonly abs: number;
  /** Last moment a dispatch can still finish by the deadline (predicted at admission). */
  readonly latestStart: number;
  /** Position in CoreState.deadlineHeap. */
  pos: number;
}

/** A task's lease: one field on the task, set at dispatch (issue 19: queued tasks hold none). */
export interface LeaseRun {
  readonly leaseId: string;
  readonly replicaId: string;
  /** When the sidecar reported LeaseStarted; undefined before. */
  startedAt: number | undefined;
}

/** What most tasks never have: one field on the task instead of three (issue 19). */
interface TaskRare {
  /** Set by `placement.pin_replica_id`: only this replica may run the task. */
  readonly pinReplicaId: string | undefined;
  /** Token charge recorded against the tenant's tokens/minute window (corrected on finish). */
  readonly charge: QuotaCharge | undefined;
  /**
   * ORCH-4023: once a client detached, the clock time by which it must attach again; until then
   * admittedAt + attachTimeoutMs (see attachDeadline in state.ts).
   */
  attachBy: number | undefined;
}

/**
 * Issue 19: one of these lives per queued task, so it holds nothing the spec already has (id =
 * spec.task_id, tenant = spec.tenant, priority = spec.priority), nothing derivable (the kv charge is
 * estTokens × the pool's kvMbPerToken) and no double-valued field that only matters later.
 */
export interface TaskRec extends ArrivalNode<TaskRec>, UnattachedNode<TaskRec> {
  spec: AdmittedSpec;
  poolId: string;
  admittedAt: number;
  deadline: TaskDeadline | undefined;
  estTokens: number;
  queuePosition: number;
  predictedStartMs: number;
  state: TaskState;
  attached: boolean;
  /** A replica pin, a quota charge, a detach: absent on the common task. */
  rare: TaskRare | undefined;
  attempts: number;
  /** The current (or, once ended, the last) lease; undefined while never leased or requeued. */
  lease: LeaseRun | undefined;
  flowPos: number;
  terminal: TerminalEvent | undefined;
  /** The caller's own small integer for the task (Scheduler.setTag); -1: none. */
  tag: number;
}

export interface ReplicaRec {
  state: ReplicaState;
  setKey: string;
  activeLeases: number;
  /** True while the latest heartbeat is newer than our latest lease change on this replica. */
  reportFresh: boolean;
  readyPos: number;
  /** Identity fits the pool's config (computed on every upsert). */
  eligible: boolean;
  /** Counted in its set's readyCount (ready and eligible). */
  countedReady: boolean;
  /** Its contribution to the set's freeSlots / readySlots totals. */
  countedFree: number;
  countedSlots: number;
}

export interface ReplicaSet {
  key: string;
  poolId: string;
  members: Set<ReplicaRec>;
  /** Ready members with at least one free slot, least loaded first. */
  ready: IndexedHeap<ReplicaRec>;
  readyCount: number;
  /** Free and total slots over Ready members (for predicted_start_ms). */
  freeSlots: number;
  readySlots: number;
  samplerProfileVersion: string;
  /** Order of first registration; the serving-set choice never depends on Map order. */
  createdSeq: number;
}

export interface Flow extends StrideFlow {
  tenant: string;
  tasks: IndexedHeap<TaskRec>;
}

export interface PriorityLane extends StrideFlow {
  priority: Priority;
  arrivals: ArrivalList<TaskRec>;
  flows: Map<string, Flow>;
  tenants: StrideScheduler<Flow>;
}

interface CanarySplit {
  /** In (0, 1): a task goes to the canary set when its bucket (model-transition.ts) is below. */
  share: number;
  /** Dispatches placed on each side since the canary began. */
  dispatched: { canary: number; stable: number };
}

export interface PoolState {
  config: NormPool;
  lanes: Record<Priority, PriorityLane>;
  priorities: StrideScheduler<PriorityLane>;
  sets: Map<string, ReplicaSet>;
  serving: ReplicaSet | undefined;
  /** ORCH-3031: while a reload runs, the identity the pool moves to (also eligible, also named). */
  transition: ModelIdentity | undefined;
  /** ORCH-3033: while a canary holds, the share of tasks placed on the `transition` identity. */
  canary: CanarySplit | undefined;
  /** Model refs the pool answered to before a finished reload → clock time until it still does. */
  aliases: Map<string, number>;
  /** EWMA service-time observations (ORCH-3029 predicted_start_ms, ORCH-3079 feasibility). */
  firstTokenMs: number;
  msPerToken: number;
  meanServiceMs: number;
}

const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['completed', 'canceled', 'failed']);

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.has(state);
}
