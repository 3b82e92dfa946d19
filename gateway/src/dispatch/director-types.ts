// The director's vocabulary: routing header names, options, and what the gateway keeps about a
// live task. A module of its own because routed.ts and resume.ts need it too and director.ts
// imports both of them: inside director.ts it would make an import cycle (check:cycles).
import type { Engine, Priority, Scheduler } from '@llama-orch/core';
import type { Logger } from 'pino';
import type { ApiLabel, GatewayMetrics } from '../metrics/metrics.js';
import type { ReplicaRegistry } from '../replicas/registry.js';
import type { WatchdogLimits } from './assign.js';
import type { CircuitBreakerConfig } from '../replica-health/circuit-breaker.js';
import type { AdmissionJournal } from '../journal/journal.js';

export const DESTINATION_HEADER = 'x-gateway-destination-endpoint';
/** The dynamic-metadata namespace the endpoint-picker protocol uses for the same value (ORCH-4018). */
export const ENDPOINT_PICKER_NAMESPACE = 'envoy.lb';
export const LEASE_HEADER = 'x-orch-lease-id';
/** `start`: a reconnect without Last-Event-ID; the sidecar replays from the first event (ORCH-4032). */
export const RESUME_HEADER = 'x-orch-resume';
/** Set on every routed request (always overwriting a client copy): the task, its seed, its set. */
export const TASK_HEADER = 'x-orch-task-id';
export const SEED_HEADER = 'x-orch-seed';
export const REPLICA_SET_HEADER = 'x-orch-replica-set';

export interface DirectorOptions {
  readonly core: Scheduler;
  readonly registry: ReplicaRegistry;
  readonly metrics: GatewayMetrics;
  readonly clock: () => number;
  /** How long a sidecar has to accept an Assign (ORCH-4021: default 2 s). */
  readonly acceptTimeoutMs: number;
  /** ORCH-3016: config `timeouts.idle_ms` / `wall_ms`, sent with every Assign (absent: sidecar's). */
  readonly watchdog?: WatchdogLimits;
  /** The configured engine of a pool, for events about tasks the gateway holds no record of. */
  readonly poolEngine: (poolId: string) => Engine | undefined;
  readonly log: Logger;
  /** ORCH-3040 (config `control.circuit_breaker`); default 5 consecutive faults, 30 s cool-down. */
  readonly circuitBreaker?: CircuitBreakerConfig;
  /** ORCH-4030: every terminal event is recorded here (absent: no journal configured). */
  readonly journal?: Pick<AdmissionJournal, 'terminal'>;
}

/**
 * Labels and facts the gateway needs about a live task. Issue 19: only `pinned`, `api` and
 * `journaled` are the gateway's own (bits of core's per-task tag, task-tags.ts); the rest is read
 * from core's record on demand.
 */
export interface TaskMeta {
  readonly engine: Engine;
  readonly priority: Priority;
  readonly poolId: string;
  readonly correlationId: string;
  /** ORCH-2013: placement mode pin (placement_decisions_total{pinned}). */
  readonly pinned: boolean;
  /** ORCH-3103: the API the task came in on (the `api` metric label). */
  readonly api: ApiLabel;
  /** ORCH-4030: its admission is journaled, so its end is recorded too. */
  readonly journaled: boolean;
}

export type CancelReasonLabel =
  'client' | 'watchdog' | 'deadline' | 'drop_lru' | 'drain' | 'unattached' | 'session_deleted';
