// The gateway's Prometheus metrics. Names, types, label sets and buckets are the contract in
// .specs/metrics/otel-prom.md (ORCH-3028); one registry per gateway instance so tests stay isolated.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const FIRST_TOKEN_BUCKETS = [50, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000];
const DECODE_BUCKETS = [250, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 10000, 12000];
const HOLD_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

const QUEUE_LABELS = ['engine', 'engine_version', 'pool_id', 'priority'] as const;
const REPLICA_LABELS = ['engine', 'engine_version', 'pool_id', 'replica_id'] as const;

export type ExtProcOutcome =
  'routed' | 'not_found' | 'canceled' | 'expired' | 'unauthorized' | 'error';

export interface GatewayMetrics {
  readonly registry: Registry;
  readonly tasksEnqueued: Counter<(typeof QUEUE_LABELS)[number]>;
  readonly tasksStarted: Counter<
    'engine' | 'engine_version' | 'pool_id' | 'replica_id' | 'priority'
  >;
  readonly tasksCanceled: Counter<(typeof QUEUE_LABELS)[number] | 'reason'>;
  readonly tasksRejected: Counter<'engine' | 'reason'>;
  readonly queueDepth: Gauge<(typeof QUEUE_LABELS)[number]>;
  readonly latencyFirstToken: Histogram<(typeof QUEUE_LABELS)[number]>;
  readonly latencyDecode: Histogram<(typeof QUEUE_LABELS)[number]>;
  readonly tokensIn: Counter<(typeof REPLICA_LABELS)[number]>;
  readonly tokensOut: Counter<(typeof REPLICA_LABELS)[number]>;
  readonly backpressure: Counter<'engine' | 'policy'>;
  readonly kvUsage: Gauge<(typeof REPLICA_LABELS)[number]>;
  readonly extProcHold: Histogram<'pool_id' | 'outcome'>;
  readonly extProcRequests: Counter<'outcome'>;
  readonly replicasReady: Gauge<'engine' | 'engine_version' | 'pool_id'>;
  readonly leasesActive: Gauge<'pool_id'>;
  readonly controlStreams: Gauge;
  readonly assignTimeouts: Counter<'pool_id'>;
}

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    tasksEnqueued: new Counter({
      name: 'tasks_enqueued_total',
      help: 'Tasks admitted into a queue (202 answered).',
      labelNames: QUEUE_LABELS,
      registers,
    }),
    tasksStarted: new Counter({
      name: 'tasks_started_total',
      help: 'Tasks whose lease was accepted by a sidecar.',
      labelNames: ['engine', 'engine_version', 'pool_id', 'replica_id', 'priority'],
      registers,
    }),
    tasksCanceled: new Counter({
      name: 'tasks_canceled_total',
      help: 'Tasks that ended canceled, by reason.',
      labelNames: [...QUEUE_LABELS, 'reason'],
      registers,
    }),
    tasksRejected: new Counter({
      name: 'tasks_rejected_total',
      help: 'Tasks refused at admission, by error code.',
      labelNames: ['engine', 'reason'],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'queue_depth',
      help: 'Tasks waiting in a queue now.',
      labelNames: QUEUE_LABELS,
      registers,
    }),
    latencyFirstToken: new Histogram({
      name: 'latency_first_token_ms',
      help: 'Time from admission to the first token.',
      labelNames: QUEUE_LABELS,
      buckets: FIRST_TOKEN_BUCKETS,
      registers,
    }),
    latencyDecode: new Histogram({
      name: 'latency_decode_ms',
      help: 'Time from the first token to the terminal event.',
      labelNames: QUEUE_LABELS,
      buckets: DECODE_BUCKETS,
      registers,
    }),
    tokensIn: new Counter({
      name: 'tokens_in_total',
      help: 'Prompt tokens processed, as counted by the engine.',
      labelNames: REPLICA_LABELS,
      registers,
    }),
    tokensOut: new Counter({
      name: 'tokens_out_total',
      help: 'Tokens generated and delivered, as counted by the engine.',
      labelNames: REPLICA_LABELS,
      registers,
    }),
    backpressure: new Counter({
      name: 'admission_backpressure_events_total',
      help: 'Backpressure answers (429 or drop) by the policy that fired.',
      labelNames: ['engine', 'policy'],
      registers,
    }),
    kvUsage: new Gauge({
      name: 'kv_cache_usage_ratio',
      help: 'KV cache in use on a replica, from its last heartbeat.',
      labelNames: REPLICA_LABELS,
      registers,
    }),
    extProcHold: new Histogram({
      name: 'placement_extproc_hold_ms',
      help: 'Time an ext_proc exchange was held before placement answered Envoy.',
      labelNames: ['pool_id', 'outcome'],
      buckets: HOLD_BUCKETS,
      registers,
    }),
    extProcRequests: new Counter({
      name: 'placement_extproc_requests_total',
      help: 'ext_proc stream requests answered, by outcome.',
      labelNames: ['outcome'],
      registers,
    }),
    replicasReady: new Gauge({
      name: 'placement_replicas_ready',
      help: 'Replicas that are Ready now.',
      labelNames: ['engine', 'engine_version', 'pool_id'],
      registers,
    }),
    leasesActive: new Gauge({
      name: 'placement_leases_active',
      help: 'Leases assigned and not yet finished.',
      labelNames: ['pool_id'],
      registers,
    }),
    controlStreams: new Gauge({
      name: 'placement_control_streams_connected',
      help: 'Sidecar control streams connected now.',
      registers,
    }),
    assignTimeouts: new Counter({
      name: 'placement_assign_timeouts_total',
      help: 'Assigns not accepted by the sidecar in time.',
      labelNames: ['pool_id'],
      registers,
    }),
  };
}
