/**
 * Reads the machine-readable tables of `.specs/metrics/otel-prom.md` so that exporters and the
 * metrics contract test compare against the spec itself rather than a copy of it.
 */

const METRIC_TYPES = ['counter', 'gauge', 'histogram'] as const;
type MetricType = (typeof METRIC_TYPES)[number];

interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly unit: string;
  readonly labels: readonly string[];
  readonly exporter: string;
  readonly help: string;
}

export interface MetricsContract {
  readonly metrics: MetricSpec[];
  /** Histogram name → bucket upper bounds in ms (without +Inf). */
  readonly buckets: Map<string, number[]>;
  /** Label name → most distinct values one process may emit. */
  readonly budgets: Map<string, number>;
}

/** Rows (cells trimmed, backticks removed) of the first table after the given level-2 heading. */
function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start === -1) throw new Error(`metrics contract: no "## ${heading}" heading`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    const trimmed = line.trim();
    if (trimmed.startsWith('## ')) break;
    if (!trimmed.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    const cells = trimmed
      .slice(1, trimmed.endsWith('|') ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replace(/\\\|/g, '|').replace(/`/g, ''));
    if (cells.every((cell) => /^:?-+:?$/.test(cell))) continue;
    rows.push(cells);
  }
  if (rows.length < 2) throw new Error(`metrics contract: no table under "## ${heading}"`);
  return rows;
}

function isMetricType(value: string): value is MetricType {
  return (METRIC_TYPES as readonly string[]).includes(value);
}

export function parseMetricsContract(markdown: string): MetricsContract {
  const [header, ...rows] = tableAfter(markdown, 'Metric table');
  const expected = ['name', 'type', 'unit', 'labels', 'exporter', 'help'];
  if (header?.join(',') !== expected.join(',')) {
    throw new Error(`metrics contract: columns must be ${expected.join(', ')}`);
  }
  const metrics = rows.map(
    ([name = '', type = '', unit = '', labels = '', exporter = '', help = '']) => {
      if (!isMetricType(type))
        throw new Error(`metrics contract: ${name} has unknown type ${type}`);
      const labelList = labels === '-' ? [] : labels.split(',').map((label) => label.trim());
      return { name, type, unit, labels: labelList, exporter, help };
    },
  );

  const buckets = new Map<string, number[]>();
  for (const [name = '', bounds = ''] of tableAfter(markdown, 'Histogram buckets').slice(1)) {
    buckets.set(
      name,
      bounds.split(',').map((bound) => Number(bound.trim())),
    );
  }
  const budgets = new Map<string, number>();
  const budgetTable = tableAfter(markdown, 'Label values and cardinality budgets').slice(1);
  for (const [label = '', budget = ''] of budgetTable) {
    budgets.set(label, Number.parseInt(budget, 10));
  }
  return { metrics, buckets, budgets };
}
