import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseMetricsContract } from './metrics-contract.js';

const here = dirname(fileURLToPath(import.meta.url));
const contract = parseMetricsContract(
  readFileSync(join(here, '../../../.specs/metrics/otel-prom.md'), 'utf8'),
);

/** The seed's metric set, which the contract must keep (names are a breaking-change surface). */
const SEED_METRICS = [
  'tasks_enqueued_total',
  'tasks_started_total',
  'tasks_canceled_total',
  'tasks_rejected_total',
  'queue_depth',
  'latency_first_token_ms',
  'latency_decode_ms',
  'tokens_in_total',
  'tokens_out_total',
  'admission_backpressure_events_total',
  'kv_cache_usage_ratio',
  'admission_share',
  'deadlines_met_ratio',
  'model_state',
  'preemptions_total',
  'placement_decisions_total',
];

describe('ORCH-3028: metrics contract table', () => {
  it('ORCH-3028: lists every seed metric exactly once, each with one exporter', () => {
    const names = contract.metrics.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of SEED_METRICS) expect(names).toContain(name);
    for (const m of contract.metrics) expect(['gateway', 'sidecar']).toContain(m.exporter);
  });

  it('ORCH-3028: units are in the names and types agree with them', () => {
    for (const m of contract.metrics) {
      expect(m.name).toMatch(/^[a-z][a-z0-9_]*$/);
      if (m.type === 'counter') expect(m.name).toMatch(/_total$/);
      else expect(m.name).not.toMatch(/_total$/);
      if (m.unit === 'milliseconds') expect(m.name).toMatch(/_ms$/);
      if (m.unit === 'ratio') expect(m.name).toMatch(/_ratio$/);
      expect(m.help.length).toBeGreaterThan(10);
    }
  });

  it('ORCH-3028: histograms have the seed buckets, ascending', () => {
    for (const m of contract.metrics.filter((x) => x.type === 'histogram')) {
      const bounds = contract.buckets.get(m.name);
      expect(bounds, m.name).toBeDefined();
      expect([...(bounds ?? [])].sort((a, b) => a - b)).toEqual(bounds);
    }
    expect(contract.buckets.get('latency_first_token_ms')).toEqual([
      50, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000,
    ]);
  });

  it('ORCH-4019: every label has a cardinality budget, with the seed budgets', () => {
    for (const m of contract.metrics) {
      for (const label of m.labels)
        expect(contract.budgets.has(label), `${m.name}{${label}}`).toBe(true);
    }
    expect(Object.fromEntries(contract.budgets)).toMatchObject({
      engine: 4,
      engine_version: 64,
      pool_id: 256,
      replica_id: 1024,
      priority: 8,
      reason: 16,
      tenant: 64,
    });
  });

  it('ORCH-3028: engine and engine_version label the seed metrics that the seed requires', () => {
    const byName = new Map(contract.metrics.map((m) => [m.name, m]));
    for (const name of [
      'tasks_started_total',
      'queue_depth',
      'latency_first_token_ms',
      'tokens_out_total',
      'kv_cache_usage_ratio',
    ]) {
      expect(byName.get(name)?.labels).toEqual(
        expect.arrayContaining(['engine', 'engine_version', 'pool_id']),
      );
    }
    expect(byName.get('placement_decisions_total')?.labels).toEqual([
      'outcome',
      'pinned',
      'fallback',
    ]);
  });
});
