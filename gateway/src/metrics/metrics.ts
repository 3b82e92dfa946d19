// The gateway's Prometheus metrics. Names, types, label sets and buckets are the contract in
// .specs/metrics/otel-prom.md (ORCH-3028); one registry per gateway instance so tests stay
// isolated. Every labelled family is written through the cardinality guard (ORCH-4019).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CounterFacade, GaugeFacade, HistogramFacade } from './guarded.js';
import { guardCounter, guardGauge, guardHistogram } from './guarded.js';
import { LabelBudget } from './label-budget.js';

const FIRST_TOKEN_BUCKETS = [50, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000];
const DECODE_BUCKETS = [250, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 10000, 12000];
const HOLD_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

const QUEUE_LABELS = ['engine', 'engine_version', 'pool_id', 'priority'] as const;
const REPLICA_LABELS = ['engine', 'engine_version', 'pool_id', 'replica_id'] as const;
type QueueLabel = (typeof QUEUE_LABELS)[number];
type ReplicaLabel = (typeof REPLICA_LABELS)[number];

/** ORCH-3103: the public API a request came in on (the `api` metric label). */
export type ApiLabel = 'orchqueue' | 'openai';

export type ExtProcOutcome =
  'routed' | 'not_found' | 'canceled' | 'expired' | 'unauthorized' | 'error';
export type DecisionOutcome = 'assigned' | 'no_capacity' | 'unready' | 'rejected';
export const MODEL_STATES = [
  'loading',
  'self_test',
  'ready',
  'draining',
  'unready',
  'failed',
] as const;
export type ModelState = (typeof MODEL_STATES)[number];

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly budget: LabelBudget;
  readonly tasksEnqueued: CounterFacade<QueueLabel | 'api'>;
  readonly tasksStarted: CounterFacade<ReplicaLabel | 'priority' | 'api'>;
  readonly tasksCanceled: CounterFacade<QueueLabel | 'reason'>;
  readonly tasksRejected: CounterFacade<'engine' | 'reason' | 'api'>;
  readonly queueDepth: GaugeFacade<QueueLabel>;
  readonly latencyFirstToken: HistogramFacade<QueueLabel>;
  readonly latencyDecode: HistogramFacade<QueueLabel>;
  readonly tokensIn: CounterFacade<ReplicaLabel>;
  readonly tokensOut: CounterFacade<ReplicaLabel>;
  readonly backpressure: CounterFacade<'engine' | 'policy'>;
  readonly kvUsage: GaugeFacade<ReplicaLabel>;
  readonly admissionShare: GaugeFacade<'tenant' | 'priority'>;
  readonly deadlinesMet: GaugeFacade<'priority'>;
  readonly modelState: GaugeFacade<ReplicaLabel | 'model_digest' | 'state'>;
  readonly preemptions: CounterFacade<'engine' | 'pool_id' | 'priority'>;
  readonly placementDecisions: CounterFacade<'outcome' | 'pinned' | 'fallback'>;
  /** ORCH-3133: WASI policies disabled (trap, budget, garbage); the default profile took over. */
  readonly policyDisabled: CounterFacade<'policy' | 'reason'>;
  readonly extProcHold: HistogramFacade<'pool_id' | 'outcome'>;
  readonly extProcRequests: CounterFacade<'outcome' | 'api'>;
  readonly replicasReady: GaugeFacade<'engine' | 'engine_version' | 'pool_id'>;
  readonly leasesActive: GaugeFacade<'pool_id'>;
  readonly controlStreams: Gauge;
  /** Runs `hook` once at the start of every scrape, before the fleet gauges are read. */
  onScrape(hook: () => void): void;
  readonly assignTimeouts: CounterFacade<'pool_id'>;
}

interface MetricsOptions {
  /** Configured tenants: the highest weights get the `tenant` label budget first. */
  readonly tenants?: Readonly<Record<string, { weight?: number }>>;
}

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  const budget = new LabelBudget();
  const byWeight = Object.entries(options.tenants ?? {})
    .sort(([a, x], [b, y]) => (y.weight ?? 1) - (x.weight ?? 1) || a.localeCompare(b))
    .map(([id]) => id);
  budget.reserve('tenant', byWeight);

  const counter = <T extends string>(
    name: string,
    help: string,
    labelNames: readonly T[],
  ): CounterFacade<T> => guardCounter(new Counter({ name, help, labelNames, registers }), budget);
  const gauge = <T extends string>(
    name: string,
    help: string,
    labelNames: readonly T[],
    collect?: () => void,
  ): GaugeFacade<T> =>
    guardGauge(
      new Gauge({ name, help, labelNames, registers, ...(collect && { collect }) }),
      budget,
    );

  // Gauges that describe the whole fleet or queue are rebuilt when /metrics is read, not per
  // event: rebuilding them per heartbeat cost O(replicas) per heartbeat, O(replicas²) per second,
  // and rebuilding the queue gauges after every REST response cost a scheduler snapshot per
  // submission (issue 19).
  // prom-client calls each gauge's collect as the scrape starts; the first call in a scrape runs
  // the hooks and the others see it done (they run in the same synchronous pass).
  const scrapeHooks: (() => void)[] = [];
  let collecting = false;
  const beforeScrape = (): void => {
    if (collecting) return;
    collecting = true;
    queueMicrotask(() => {
      collecting = false;
    });
    for (const hook of scrapeHooks) hook();
  };
  const histogram = <T extends string>(
    name: string,
    help: string,
    labelNames: readonly T[],
    buckets: number[],
  ): HistogramFacade<T> =>
    guardHistogram(new Histogram({ name, help, labelNames, buckets, registers }), budget);

  return {
    registry,
    budget,
    tasksEnqueued: counter('tasks_enqueued_total', 'Tasks admitted into a queue (202 answered).', [
      ...QUEUE_LABELS,
      'api',
    ]),
    tasksStarted: counter('tasks_started_total', 'Tasks whose lease was accepted by a sidecar.', [
      'engine',
      'engine_version',
      'pool_id',
      'replica_id',
      'priority',
      'api',
    ]),
    tasksCanceled: counter('tasks_canceled_total', 'Tasks that ended canceled, by reason.', [
      ...QUEUE_LABELS,
      'reason',
    ]),
    tasksRejected: counter('tasks_rejected_total', 'Tasks refused at admission, by error code.', [
      'engine',
      'reason',
      'api',
    ]),
    queueDepth: gauge('queue_depth', 'Tasks waiting in a queue now.', QUEUE_LABELS, beforeScrape),
    latencyFirstToken: histogram(
      'latency_first_token_ms',
      'Time from admission to the first token.',
      QUEUE_LABELS,
      FIRST_TOKEN_BUCKETS,
    ),
    latencyDecode: histogram(
      'latency_decode_ms',
      'Time from the first token to the terminal event.',
      QUEUE_LABELS,
      DECODE_BUCKETS,
    ),
    tokensIn: counter(
      'tokens_in_total',
      'Prompt tokens processed, as counted by the engine.',
      REPLICA_LABELS,
    ),
    tokensOut: counter(
      'tokens_out_total',
      'Tokens generated and delivered, as counted by the engine.',
      REPLICA_LABELS,
    ),
    backpressure: counter(
      'admission_backpressure_events_total',
      'Backpressure answers (429 or drop) by the policy that fired.',
      ['engine', 'policy'],
    ),
    kvUsage: gauge(
      'kv_cache_usage_ratio',
      'KV cache in use on a replica, from its last heartbeat.',
      REPLICA_LABELS,
    ),
    admissionShare: gauge(
      'admission_share',
      'Share of dispatches per tenant over the last 60 s.',
      ['tenant', 'priority'],
      beforeScrape,
    ),
    deadlinesMet: gauge(
      'deadlines_met_ratio',
      'Share of finished tasks with a deadline that met it, over the last 300 s.',
      ['priority'],
      beforeScrape,
    ),
    modelState: gauge(
      'model_state',
      "1 for the replica's current model state, 0 for the others.",
      [...REPLICA_LABELS, 'model_digest', 'state'],
      beforeScrape,
    ),
    preemptions: counter(
      'preemptions_total',
      'Running tasks preempted to make room for higher-priority work.',
      ['engine', 'pool_id', 'priority'],
    ),
    placementDecisions: counter(
      'placement_decisions_total',
      'Scheduler decisions by outcome, pin mode and whether a fallback pool was used.',
      ['outcome', 'pinned', 'fallback'],
    ),
    policyDisabled: counter(
      'placement_policy_disabled_total',
      'WASI placement policies disabled, by reason; the default profile placed instead.',
      ['policy', 'reason'],
    ),
    extProcHold: histogram(
      'placement_extproc_hold_ms',
      'Time an ext_proc exchange was held before placement answered Envoy.',
      ['pool_id', 'outcome'],
      HOLD_BUCKETS,
    ),
    extProcRequests: counter(
      'placement_extproc_requests_total',
      'ext_proc stream requests answered, by outcome.',
      ['outcome', 'api'],
    ),
    replicasReady: gauge(
      'placement_replicas_ready',
      'Replicas that are Ready now.',
      ['engine', 'engine_version', 'pool_id'],
      beforeScrape,
    ),
    leasesActive: gauge(
      'placement_leases_active',
      'Leases assigned and not yet finished.',
      ['pool_id'],
      beforeScrape,
    ),
    controlStreams: new Gauge({
      name: 'placement_control_streams_connected',
      help: 'Sidecar control streams connected now.',
      registers,
      collect: beforeScrape,
    }),
    onScrape: (hook) => {
      scrapeHooks.push(hook);
    },
    assignTimeouts: counter(
      'placement_assign_timeouts_total',
      'Assigns not accepted by the sidecar in time.',
      ['pool_id'],
    ),
  };
}
