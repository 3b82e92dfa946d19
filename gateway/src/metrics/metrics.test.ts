// Every family the gateway registers must match .specs/metrics/otel-prom.md (name, type, label
// set, buckets): the spec is read at test time, so a drift on either side fails here (ORCH-3028).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

const SPEC = readFileSync(new URL('../../../.specs/metrics/otel-prom.md', import.meta.url), 'utf8');

interface Row {
  type: string;
  labels: string[];
  exporter: string;
}

function specRows(): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const line of SPEC.split('\n')) {
    const cells = line.split('|').map((c) => c.trim().replace(/`/g, ''));
    // | name | type | unit | labels | exporter | help |
    if (cells.length < 8 || !/^[a-z_]+$/.test(cells[1] ?? '')) continue;
    const [, name = '', type = '', , labels = '', exporter = ''] = cells;
    if (!['counter', 'gauge', 'histogram'].includes(type) || rows.has(name)) continue;
    rows.set(name, {
      type,
      labels: labels === '-' ? [] : labels.split(',').map((l) => l.trim()),
      exporter,
    });
  }
  return rows;
}

describe('gateway metrics vs the metrics contract', () => {
  const spec = specRows();

  it('ORCH-3028: each registered family exists in the spec with its type and exact label set', async () => {
    const metrics = createMetrics();
    const families = await metrics.registry.getMetricsAsJSON();
    expect(families.length).toBeGreaterThan(10);
    for (const family of families) {
      const row = spec.get(family.name);
      expect(row, family.name).toBeDefined();
      expect(row?.exporter).toBe('gateway');
      expect(family.type).toBe(row?.type);
      const declared = (
        metrics.registry.getSingleMetric(family.name) as unknown as { labelNames: string[] }
      ).labelNames;
      expect([...declared].sort(), family.name).toEqual([...(row?.labels ?? [])].sort());
    }
  });

  it('ORCH-3028: the slice metrics of issue 4 are all exported', async () => {
    const names = (await createMetrics().registry.getMetricsAsJSON()).map((f) => f.name);
    for (const name of [
      'tasks_enqueued_total',
      'tasks_started_total',
      'tasks_canceled_total',
      'tasks_rejected_total',
      'queue_depth',
      'tokens_in_total',
      'tokens_out_total',
      'latency_first_token_ms',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('ORCH-3028: histogram buckets follow the spec', async () => {
    const metrics = createMetrics();
    metrics.latencyFirstToken.observe(
      { engine: 'llamacpp', engine_version: 'x', pool_id: 'p', priority: 'batch' },
      1,
    );
    const text = await metrics.registry.getSingleMetricAsString('latency_first_token_ms');
    const bounds = [...text.matchAll(/le="([0-9.]+)"/g)].map((m) => Number(m[1]));
    expect(bounds).toEqual([50, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000]);
  });
});
