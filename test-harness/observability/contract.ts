// The metrics contract as data, read from .specs/metrics/otel-prom.md at test time.
import { readFileSync } from 'node:fs';
import { parseMetricsContract } from '../../tools/src/spec-extract/metrics-contract.js';
import type { MetricsContract } from '../../tools/src/spec-extract/metrics-contract.js';
import type { Family } from './exposition.js';
import { labelNames } from './exposition.js';

export function loadContract(): MetricsContract {
  const path = new URL('../../.specs/metrics/otel-prom.md', import.meta.url);
  return parseMetricsContract(readFileSync(path, 'utf8'));
}

/**
 * Differences between one exporter's scrape and its rows of the contract: missing families,
 * unspecified families, wrong types, label sets that are not exactly the listed ones.
 */
export function contractDiff(
  contract: MetricsContract,
  exporter: string,
  families: Map<string, Family>,
): string[] {
  const problems: string[] = [];
  const rows = contract.metrics.filter((m) => m.exporter === exporter);
  for (const row of rows) {
    const f = families.get(row.name);
    if (!f) {
      problems.push(`${row.name}: missing`);
      continue;
    }
    if (f.type !== row.type) problems.push(`${row.name}: type ${f.type}, spec ${row.type}`);
    const want = [...row.labels].sort().join(',');
    for (const s of f.samples) {
      const got = labelNames(s).join(',');
      if (got !== want) {
        problems.push(`${s.name}: labels {${got}}, spec {${want}}`);
        break;
      }
    }
    if (row.type === 'histogram') {
      const bounds = contract.buckets.get(row.name) ?? [];
      const first = f.samples.find((s) => s.name.endsWith('_bucket'));
      if (first) {
        const same = (s: { labels: Record<string, string> }): boolean =>
          Object.entries(first.labels).every(([k, v]) => k === 'le' || s.labels[k] === v);
        const les = f.samples
          .filter((s) => s.name.endsWith('_bucket') && same(s))
          .map((s) => s.labels.le);
        const wantLes = [...bounds.map(String), '+Inf'];
        if (les.join(',') !== wantLes.join(','))
          problems.push(`${row.name}: buckets ${les.join(',')}, spec ${wantLes.join(',')}`);
      }
    }
  }
  const specified = new Set(rows.map((r) => r.name));
  for (const name of families.keys())
    if (!specified.has(name)) problems.push(`${name}: not in the ${exporter} rows of the spec`);
  return problems;
}
