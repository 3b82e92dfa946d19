// Public data types of the core scheduler. Wire-mirroring shapes (TaskSpec, ReplicaState) keep the
// contract's snake_case field names so the gateway can copy proto/OpenAPI objects straight in;
// core-native shapes (config, results, snapshots) are camelCase.
import type { CoreError } from './errors.js';

import type { Engine } from './engine.js';

// Re-exported so existing `from './types.js'` imports keep working; engine.ts is the one owner.
export { ENGINES, type Engine } from './engine.js';

export type Priority = 'interactive' | 'batch';
/** Priorities in tie-break order (interactive wins ties). */
export const PRIORITIES: readonly Priority[] = ['interactive', 'batch'];

/** ORCH-3005: what a full queue does with a new task. */
export type FullPolicy = 'reject' | 'drop-lru';

export type Workload = 'completion' | 'embedding' | 'rerank';
export type Determinism = 'strict' | 'best_effort';
/** ORCH-3102: `chat` = the sidecar renders the prompt with the model's chat template. */
export type PromptFormat = 'raw' | 'chat';

/** A task as the client submitted it (POST /v1/tasks body), before core fills defaults. */
export interface TaskSpecInput {
  task_id: string;
  session_id?: string;
  workload?: Workload;
  model_ref: string;
  engine: Engine;
  ctx: number;
  priority: Priority;
  max_tokens: number;
  /** Completion budget in ms from admission; 0 or absent = no deadline (ORCH-3079/3080). */
  deadline_ms?: number;
  seed?: number;
  determinism?: Determinism;
  sampler_profile_version?: string;
  prompt?: string;
  /**
   * ORCH-2013/2014: `pin` names one pool and never falls back. `pin_replica_id` (with `pin`) also
   * names one replica of that pool's serving replica set (ORCH-3050 determinism audits).
   */
  placement?: { mode: 'pin' | 'auto'; pin_pool_id?: string; pin_replica_id?: string };
  correlation_id?: string;
}

/** A task after admission: seed and defaults filled (what goes into the sidecar's Assign). */
export interface TaskSpec {
  task_id: string;
  session_id: string;
  tenant: string;
  workload: Workload;
  model_ref: string;
  engine: Engine;
  ctx: number;
  priority: Priority;
  max_tokens: number;
  deadline_ms: number;
  seed: number;
  determinism: Determinism;
  sampler_profile_version: string;
  prompt: string;
  correlation_id: string;
  /** ORCH-3102: the pool's prompt format, for the sidecar (chat template or raw). */
  prompt_format: PromptFormat;
}

/** A task's prompt and correlation id, as a caller that keeps them hands them back. */
export interface TaskText {
  readonly prompt: string;
  readonly correlation_id: string;
}

/**
 * Reads a held task's text back (issue 19: placement's journal keeps it on disk, so 100,000
 * queued tasks hold no prompts in memory). Called at dispatch, for the Assign and when a caller
 * reads the spec's prompt or correlation id; must answer for every task admitted with it until
 * that task has ended.
 */
export type HeldText = (taskId: string) => TaskText;

export interface AdmitHints {
  /** Prompt length in tokens as estimated by the caller; default `estimatePromptTokens(prompt)`. */
  promptTokens?: number;
  /**
   * ORCH-4030: a journaled task admitted again after a placement restart. It may take a pool
   * with no Ready replica yet (sidecars are reconnecting), keeps the deadline it had left without
   * a new feasibility check, and skips the quota check it already passed.
   */
  restored?: boolean;
  /**
   * The prompt format the Assign carries instead of the pool's: `raw` when the caller renders the
   * prompt itself (the OpenAI routes bring their own prompt or messages to the sidecar).
   */
  promptFormat?: PromptFormat;
  /**
   * The caller keeps this task's prompt and correlation id (from the spec given to admit): core
   * stores neither and reads them through this function whenever the spec's are asked for.
   */
  heldText?: HeldText;
}

/** What a replica's sidecar reports (Register + latest Heartbeat), flattened. */
export interface ReplicaState {
  replica_id: string;
  pool_id: string;
  engine: Engine;
  engine_version: string;
  model_ref: string;
  model_digest: string;
  sampler_profile_version: string;
  canary_hash: string;
  ctx_max: number;
  ready: boolean;
  slots_total: number;
  slots_free: number;
  kv_usage_ratio?: number;
  /** Requests waiting inside the engine (Heartbeat.waiting); the queue-depth scorer reads it. */
  queue_depth?: number;
}

/** ORCH-3007/3046/4017: the fields that must be identical inside one replica set. */
export interface ReplicaSetIdentity {
  engine: Engine;
  engine_version: string;
  model_digest: string;
  sampler_profile_version: string;
  canary_hash: string;
  ctx_max: number;
}

export interface QueueConfig {
  /** Maximum queued (not yet dispatched) tasks per pool for this priority. */
  capacity: number;
  fullPolicy: FullPolicy;
  /** A task queued longer than this ends with REPLICA_EXHAUSTED (policy `queue.wait_timeout`). */
  maxWaitMs: number;
}

export interface PoolConfig {
  id: string;
  engine: Engine;
  modelRef: string;
  ctxMax: number;
  /** ORCH-3102: how the sidecar hands prompts to the engine; default raw. */
  promptFormat?: PromptFormat;
  /** ORCH-3130: the placement profile's name; default `default` (the built-in profile). */
  placementProfile?: string;
  /** Replicas whose identity disagrees with any field given here never serve this pool. */
  expect?: Partial<Omit<ReplicaSetIdentity, 'engine' | 'ctx_max'>>;
  /** KV cache estimate for tenant KV-MB quotas; default 0.125 MB per token. */
  kvMbPerToken?: number;
  queues?: Partial<Record<Priority, Partial<QueueConfig>>>;
}

export interface TenantQuotas {
  /** Accepted, not yet terminal tasks. */
  maxConcurrent?: number;
  /** Estimated prompt+max_tokens reserved at admission, corrected to actuals on finish. */
  tokensPerMinute?: number;
  /** Sum of KV estimates of the tenant's live tasks. */
  kvMb?: number;
  /** ORCH-3006: token-bucket admission rate limit (admissions per second, bucket size burst). */
  ratePerSecond?: number;
  /** Bucket size for ratePerSecond; default max(1, ratePerSecond). */
  burst?: number;
}

export interface TenantConfig {
  /** ORCH-3076: WFQ weight inside each priority; default 1. */
  weight?: number;
  quotas?: TenantQuotas;
}

export interface SessionConfig {
  /** ORCH-3021: idle TTL, refreshed by each admitted turn; default 600000 (10 min). */
  ttlMs: number;
  /** ORCH-3021: turns before the session (and its KV affinity) resets; default 8. */
  maxTurns: number;
  /** ORCH-3099: per-session budgets; 0 = unlimited. */
  budgetTokens: number;
  budgetTimeMs: number;
}

export interface ServiceTimeConfig {
  /** Priors used until real lease outcomes arrive. */
  firstTokenMs: number;
  msPerToken: number;
  /** EWMA weight of each new observation. */
  alpha: number;
}

/** ORCH-3130: one plugin of a placement profile: a registered type, its weight, its params. */
export interface PluginSpec {
  type: string;
  /** Scorers only; default 1. */
  weight?: number;
  params?: Record<string, unknown>;
}

export interface ProfileSpec {
  name: string;
  plugins: PluginSpec[];
}

export interface PlacementWeights {
  leastLoad: number;
  sessionAffinity: number;
  kvHeadroom: number;
}

export interface SchedulerConfig {
  pools: PoolConfig[];
  /** Defaults for every pool; a pool's own `queues` entry overrides field by field. */
  queues?: Partial<Record<Priority, Partial<QueueConfig>>>;
  /** Dispatch weights across priorities; default interactive 8 : batch 1. */
  priorityWeights?: Partial<Record<Priority, number>>;
  tenants?: Record<string, TenantConfig>;
  defaultTenant?: TenantConfig;
  sessions?: Partial<SessionConfig>;
  serviceTime?: Partial<ServiceTimeConfig>;
  placement?: {
    candidates?: number;
    weights?: Partial<PlacementWeights>;
    /** ORCH-3130: named profiles pools may choose (`default` is built in). */
    profiles?: ProfileSpec[];
  };
  /** EWMA weight for admission_share; default 0.05. */
  shareAlpha?: number;
  /** Terminal task records kept for idempotent cancel and duplicate detection; default 100000. */
  terminalRetention?: number;
  /** Lease ids are `${leasePrefix}${n}`; give each gateway boot its own prefix. */
  leasePrefix?: string;
  /** Dispatch attempts per task before a retriable lease failure becomes terminal; default 3. */
  maxAttempts?: number;
  /** ORCH-4023: a queued task not attached within this is canceled (reason unattached); default 30000. */
  attachTimeoutMs?: number;
}

export type Clock = () => number;

export interface SchedulerOptions {
  config: SchedulerConfig;
  /** Milliseconds, monotonic non-decreasing. Core never reads a clock of its own. */
  clock: Clock;
}

export type TaskState =
  'queued' | 'dispatched' | 'running' | 'cancel_requested' | 'completed' | 'canceled' | 'failed';

export type TerminalState = 'completed' | 'canceled' | 'failed';
export type EndReason = 'stop' | 'length' | 'canceled' | 'error';

/** Exactly one per accepted task (ORCH-2029/3017/3026). */
export interface TerminalEvent {
  taskId: string;
  tenant: string;
  poolId: string;
  priority: Priority;
  state: TerminalState;
  reason: EndReason;
  /** Present when state is `failed`. */
  error?: CoreError;
  leaseId?: string;
  replicaId?: string;
  /** Whether the task was ever handed to a sidecar (if so, the sidecar owns the client stream). */
  wasDispatched: boolean;
  at: number;
}

export type AdmitResult =
  | {
      ok: true;
      taskId: string;
      queuePosition: number;
      predictedStartMs: number;
      backoffMs: number;
      seed: number;
      poolId: string;
      task: TaskSpec;
      /** Batch tasks dropped by drop-lru to make room; deliver their terminal errors. */
      dropped: TerminalEvent[];
    }
  | { ok: false; error: CoreError };

export interface Dispatch {
  taskId: string;
  leaseId: string;
  replicaId: string;
  poolId: string;
  replicaSetKey: string;
  kvWarmth: boolean;
  queuePosition: number;
  predictedStartMs: number;
  queueTimeMs: number;
  attempt: number;
  /** ORCH-3100: tasks still waiting in this task's (pool, priority) queue at dispatch. */
  queueDepth: number;
  /** ORCH-3100: estimated chance of ending by the deadline; undefined without a deadline. */
  onTimeProbability?: number;
  task: TaskSpec;
}

export interface DispatchBatch {
  dispatches: Dispatch[];
  /** Tasks found unable to meet their deadline while choosing; deliver their terminal errors. */
  terminal: TerminalEvent[];
}

export type CancelOutcome =
  | { kind: 'canceled'; event: TerminalEvent }
  | { kind: 'cancel_requested'; leaseId: string; replicaId: string }
  | { kind: 'already_requested'; leaseId: string; replicaId: string }
  | { kind: 'already_terminal'; state: TerminalState }
  | { kind: 'not_found'; error: CoreError };

export type AttachResult =
  { ok: true; state: TaskState; terminal?: TerminalEvent } | { ok: false; error: CoreError };

export interface LeaseOutcome {
  reason: EndReason;
  errorCode?: string;
  tokensIn?: number;
  tokensOut?: number;
  firstTokenMs?: number;
  decodeTimeMs?: number;
}

export type LeaseResult =
  { ok: true; terminal?: TerminalEvent; requeued?: boolean } | { ok: false; error: CoreError };

/** A lease a sidecar re-reported after a gateway restart (ORCH-4007). */
export interface AdoptedLease {
  leaseId: string;
  taskId: string;
  replicaId: string;
  tenant?: string;
  priority?: Priority;
}

export interface TickResult {
  terminal: TerminalEvent[];
  /** ORCH-4023: queued tasks canceled because no client attached in time (reason `unattached`). */
  unattached: TerminalEvent[];
  expiredSessions: SessionKey[];
}

/** ORCH-2101: `Scheduler.drainPool`. `terminal` = queued tasks that failed (no replica left). */
export type DrainResult =
  { ok: true; deadlineAt: number; terminal: TerminalEvent[] } | { ok: false; error: CoreError };

/** `Scheduler.drainTick`: requeued tasks that failed, and tasks past the drain deadline to cancel. */
export interface DrainTickResult {
  terminal: TerminalEvent[];
  overdue: string[];
}

/** `Scheduler.drainReplica`: the absolute deadline (clock time) its running leases have. */
export type ReplicaDrainResult = { ok: true; deadlineAt: number } | { ok: false; error: CoreError };

/** A model a pool serves: its ref and, when pinned, its artifact digest (`sha256:<hex>`). */
export interface ModelIdentity {
  modelRef: string;
  modelDigest?: string | undefined;
}

/** What a pool answers to now (`Scheduler.poolModel`). */
export interface PoolModel extends ModelIdentity {
  /** The reload target while a reload runs (ORCH-3031). */
  transition?: ModelIdentity | undefined;
  /** ORCH-3033: the canary split while one holds (share of tasks on `transition`'s set). */
  canary?: { share: number; dispatched: { canary: number; stable: number } } | undefined;
}

export type TransitionResult = { ok: true } | { ok: false; error: CoreError };

export interface RemoveReplicaResult {
  /** Leases that never started go back to the queue (retriable, ORCH-3025). */
  requeued: string[];
  /** Leases that had started end with WORKER_RESET. */
  terminal: TerminalEvent[];
}

/** ORCH-3035: sessions are keyed by their tenant and the client's session_id. */
export interface SessionKey {
  tenant: string;
  sessionId: string;
}

export interface SessionInfo {
  sessionId: string;
  /** The tenant whose task created the session (ORCH-3035). */
  tenant: string;
  ttlMsRemaining: number;
  turns: number;
  tokensUsed: number;
  timeUsedMs: number;
  lastReplicaId?: string;
  kvWarmth: boolean;
  kvBytes: number;
}

export interface TaskView {
  taskId: string;
  tenant: string;
  poolId: string;
  priority: Priority;
  state: TaskState;
  attached: boolean;
  leaseId?: string;
  replicaId?: string;
  terminal?: TerminalEvent;
}

export interface ReplicaLoad {
  replicaId: string;
  poolId: string;
  replicaSetKey: string;
  ready: boolean;
  serving: boolean;
  slotsTotal: number;
  slotsFree: number;
  activeLeases: number;
  kvUsageRatio: number;
}

export interface SchedulerSnapshot {
  at: number;
  queueDepth: { poolId: string; priority: Priority; depth: number; capacity: number }[];
  admissionShare: { tenant: string; priority: Priority; share: number }[];
  deadlinesMetRatio: { priority: Priority; ratio: number; met: number; total: number }[];
  replicas: ReplicaLoad[];
  servingSets: { poolId: string; replicaSetKey?: string }[];
  liveTasks: number;
  retainedTerminal: number;
}
