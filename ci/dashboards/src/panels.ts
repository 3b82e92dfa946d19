// The dashboard's panels as data: one title, unit and PromQL list per panel. The Grafana JSON
// is built from this list, and the render check evaluates the same expressions against a real
// Prometheus, so a panel can never show a query nobody ran (ORCH-3028, issue 9).

export interface PanelQuery {
  expr: string;
  legend: string;
}

export interface PanelSpec {
  title: string;
  /** Grafana unit id. */
  unit: string;
  description: string;
  queries: PanelQuery[];
}

const RATE = '5m';

const quantiles = (metric: string, by: string): PanelQuery[] =>
  [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (le, ${by}) (rate(${metric}_bucket[${RATE}])))`,
    legend: `p${Math.round(q * 100)} {{${by}}}`,
  }));

export const PANELS: readonly PanelSpec[] = [
  {
    title: 'Queue depth',
    unit: 'short',
    description: 'Tasks waiting per pool and priority (queue_depth).',
    queries: [
      { expr: 'sum by (pool_id, priority) (queue_depth)', legend: '{{pool_id}} {{priority}}' },
    ],
  },
  {
    title: 'Rejections by reason',
    unit: 'reqps',
    description: 'Admission refusals per error code, and backpressure answers per policy.',
    queries: [
      { expr: `sum by (reason) (rate(tasks_rejected_total[${RATE}]))`, legend: '{{reason}}' },
      {
        expr: `sum by (policy) (rate(admission_backpressure_events_total[${RATE}]))`,
        legend: 'backpressure {{policy}}',
      },
    ],
  },
  {
    title: 'Time to first token (admission → first token)',
    unit: 'ms',
    description: 'latency_first_token_ms percentiles per priority; SLO: interactive p95 ≤ 900 ms.',
    queries: quantiles('latency_first_token_ms', 'priority'),
  },
  {
    title: 'Decode latency (first token → end)',
    unit: 'ms',
    description: 'latency_decode_ms percentiles per priority; SLO: 64-token p95 ≤ 2.5 s.',
    queries: quantiles('latency_decode_ms', 'priority'),
  },
  {
    title: 'Tokens per second',
    unit: 'short',
    description: 'Generated and prompt tokens per second, as counted by the engines.',
    queries: [
      { expr: `sum by (pool_id) (rate(tokens_out_total[1m]))`, legend: 'out {{pool_id}}' },
      { expr: `sum by (pool_id) (rate(tokens_in_total[1m]))`, legend: 'in {{pool_id}}' },
    ],
  },
  {
    title: 'Replicas Ready',
    unit: 'short',
    description: 'Ready replicas per pool (placement_replicas_ready) and model states.',
    queries: [
      { expr: 'sum by (pool_id) (placement_replicas_ready)', legend: 'ready {{pool_id}}' },
      { expr: 'sum by (state) (model_state)', legend: '{{state}}' },
    ],
  },
  {
    title: 'Admission share per tenant',
    unit: 'percentunit',
    description: 'Share of dispatches per tenant and priority over the last 60 s (ORCH-3077).',
    queries: [{ expr: 'admission_share', legend: '{{tenant}} {{priority}}' }],
  },
  {
    title: 'Deadlines met',
    unit: 'percentunit',
    description: 'Share of finished tasks with a deadline that met it (ORCH-3081).',
    queries: [{ expr: 'deadlines_met_ratio', legend: '{{priority}}' }],
  },
  {
    title: 'Replica engine restarts',
    unit: 'short',
    description: 'Engine restarts done by each sidecar over 15 minutes (ORCH-3038/3053).',
    queries: [
      {
        expr: 'sum by (replica_id) (increase(sidecar_engine_restarts_total[15m]))',
        legend: '{{replica_id}}',
      },
    ],
  },
  {
    title: 'Cancellations by reason',
    unit: 'reqps',
    description: 'Tasks ended canceled per reason (client, watchdog, deadline, ...).',
    queries: [
      { expr: `sum by (reason) (rate(tasks_canceled_total[${RATE}]))`, legend: '{{reason}}' },
    ],
  },
  {
    title: 'KV cache usage',
    unit: 'percentunit',
    description: 'KV cache in use per replica, from its last heartbeat.',
    queries: [{ expr: 'kv_cache_usage_ratio', legend: '{{replica_id}}' }],
  },
  {
    title: 'ext_proc hold time',
    unit: 'ms',
    description: 'How long placement held the stream request before answering Envoy.',
    queries: [
      {
        expr: `histogram_quantile(0.95, sum by (le, outcome) (rate(placement_extproc_hold_ms_bucket[${RATE}])))`,
        legend: 'p95 {{outcome}}',
      },
    ],
  },
];
