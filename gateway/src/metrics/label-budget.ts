// Cardinality guard (ORCH-4019): each label may take at most its budget of distinct values in
// one process; later values fold into `other`, so no client- or sidecar-supplied string can grow
// the series count without bound. Budgets are the table in .specs/metrics/otel-prom.md.
import type { LabelValues } from 'prom-client';

export const OTHER = 'other';

export const LABEL_BUDGETS: Readonly<Record<string, number>> = {
  engine: 4,
  engine_version: 64,
  pool_id: 256,
  replica_id: 1024,
  priority: 8,
  reason: 16,
  tenant: 64,
  policy: 8,
  outcome: 8,
  pinned: 2,
  fallback: 2,
  api: 2,
  state: 8,
  model_digest: 64,
  canary_hash: 64,
};

export class LabelBudget {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly budgets: Readonly<Record<string, number>> = LABEL_BUDGETS) {}

  /** Claims budget for values known up front, in priority order (tenants by weight). */
  reserve(label: string, values: readonly string[]): void {
    for (const value of values) this.fold(label, value);
  }

  fold(label: string, value: string): string {
    const budget = this.budgets[label];
    if (budget === undefined) return value;
    const seen = this.seen.get(label) ?? new Set<string>();
    this.seen.set(label, seen);
    if (seen.has(value)) return value;
    if (seen.size >= budget) return OTHER;
    seen.add(value);
    return value;
  }

  foldAll<T extends string>(labels: LabelValues<T>): LabelValues<T> {
    const out: Partial<Record<T, string | number>> = {};
    for (const key of Object.keys(labels) as T[]) {
      const value = labels[key];
      if (value === undefined) continue;
      out[key] = typeof value === 'string' ? this.fold(key, value) : value;
    }
    return out;
  }
}
