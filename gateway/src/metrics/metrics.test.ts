// Every family the gateway registers must match .specs/metrics/otel-prom.md (name, type, label
// set, buckets): the spec is read at test time, so a drift on either side fails here (ORCH-3028).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LABEL_BUDGETS } from './label-budget.js';
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

  it('ORCH-3028: every gateway row of the spec is registered, and nothing else', async () => {
    const names = (await createMetrics().registry.getMetricsAsJSON()).map((f) => f.name).sort();
    const wanted = [...spec].filter(([, row]) => row.exporter === 'gateway').map(([n]) => n);
    expect(wanted.length).toBe(23);
    expect(names).toEqual(wanted.sort());
  });

  it('ORCH-3028: histogram buckets follow the spec', async () => {
    const metrics = createMetrics();
    const labels = { engine: 'llamacpp', engine_version: 'x', pool_id: 'p', priority: 'batch' };
    metrics.latencyFirstToken.observe(labels, 1);
    metrics.latencyDecode.observe(labels, 1);
    metrics.extProcHold.observe({ pool_id: 'p', outcome: 'routed' }, 1);
    for (const [name, bounds] of specBuckets()) {
      const text = await metrics.registry.getSingleMetricAsString(name);
      const found = [...text.matchAll(/le="([0-9.]+)"/g)].map((m) => Number(m[1]));
      expect(found, name).toEqual(bounds);
    }
    expect(specBuckets().size).toBe(3);
  });

  it('ORCH-4019: label budgets equal the spec table', () => {
    const table = sectionRows('Label values and cardinality budgets');
    const fromSpec = Object.fromEntries(
      table.map(([label = '', budget = '']) => [label, Number.parseInt(budget, 10)]),
    );
    expect(fromSpec).toEqual(LABEL_BUDGETS);
  });
});

function sectionRows(heading: string): string[][] {
  const after = SPEC.slice(SPEC.indexOf(`## ${heading}`));
  const rows: string[][] = [];
  for (const line of after.split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim().replace(/`/g, ''));
    if (cells.every((c) => /^-+$/.test(c))) continue;
    rows.push(cells);
  }
  return rows.slice(1);
}

function specBuckets(): Map<string, number[]> {
  return new Map(
    sectionRows('Histogram buckets').map(([name = '', bounds = '']) => [
      name,
      bounds.split(',').map((b) => Number(b.trim())),
    ]),
  );
}
