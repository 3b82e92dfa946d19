// Alert rules (ORCH-3041 per-priority SLOs, ORCH-3038/3053 replicas and restart storms) as data,
// rendered to a Prometheus rule file. The render check evaluates every expression live.

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  severity: 'page' | 'ticket';
  summary: string;
}

const W = '5m';

/**
 * Error ratio: streams that ended on an engine error or the watchdog, plus stream requests
 * placement could not route, over admitted tasks. `or vector(0)` keeps the sum defined while no
 * error of a kind has happened yet (those series appear on the first event).
 */
export const ERROR_RATIO =
  `(sum(rate(sidecar_stream_aborts_total{reason=~"engine_error|watchdog"}[${W}])) or vector(0))` +
  ` + (sum(rate(placement_extproc_requests_total{outcome=~"error|expired"}[${W}])) or vector(0))` +
  ` + (sum(rate(placement_assign_timeouts_total[${W}])) or vector(0))`;

export const ALERTS: readonly AlertRule[] = [
  {
    alert: 'LlamaOrchInteractiveFirstTokenP95High',
    expr: `histogram_quantile(0.95, sum by (le, pool_id) (rate(latency_first_token_ms_bucket{priority="interactive"}[${W}]))) > 900`,
    for: '5m',
    severity: 'page',
    summary: 'Interactive time to first token p95 above the 900 ms SLO',
  },
  {
    alert: 'LlamaOrchInteractiveDecodeP95High',
    // Decode time of tasks with at most 64 tokens (the SLO's task size) is bounded by this p95.
    expr: `histogram_quantile(0.95, sum by (le, pool_id) (rate(latency_decode_ms_bucket{priority="interactive"}[${W}]))) > 2500`,
    for: '5m',
    severity: 'page',
    summary: 'Interactive 64-token decode p95 above the 2.5 s SLO',
  },
  {
    alert: 'LlamaOrchErrorRateHigh',
    expr: `(${ERROR_RATIO}) / clamp_min(sum(rate(tasks_enqueued_total[${W}])), 1e-9) > 0.005`,
    for: '5m',
    severity: 'page',
    summary: 'More than 0.5% of admitted tasks end in an error',
  },
  {
    alert: 'LlamaOrchReplicaUnready',
    expr: 'max by (pool_id, replica_id) (model_state{state!="ready"}) == 1',
    for: '2m',
    severity: 'ticket',
    summary: 'A registered replica has not been Ready for 2 minutes',
  },
  {
    alert: 'LlamaOrchPoolNoReadyReplica',
    expr: 'sum by (pool_id) (placement_replicas_ready) < 1',
    for: '1m',
    severity: 'page',
    summary: 'A pool has no Ready replica: its tasks queue or fail',
  },
  {
    alert: 'LlamaOrchEngineRestartStorm',
    expr: 'sum by (pool_id, replica_id) (increase(sidecar_engine_restarts_total[10m])) >= 3',
    for: '0m',
    severity: 'page',
    summary: 'An engine restarted 3 or more times in 10 minutes (restart storm)',
  },
  {
    alert: 'LlamaOrchSidecarControlDown',
    expr: 'sidecar_control_connected == 0',
    for: '1m',
    severity: 'ticket',
    summary: 'A sidecar lost its control stream to placement',
  },
];

export function alertRuleGroups(): object {
  return {
    groups: [
      {
        name: 'llama-orch-slo',
        rules: ALERTS.map((a) => ({
          alert: a.alert,
          expr: a.expr,
          for: a.for,
          labels: { severity: a.severity },
          annotations: { summary: a.summary },
        })),
      },
    ],
  };
}
