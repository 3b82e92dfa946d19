// Narrow facades over prom-client metrics that pass every label set through the cardinality
// guard. Call sites get only the operations they need, so an unguarded write cannot slip in.
import type { Counter, Gauge, Histogram, LabelValues } from 'prom-client';
import type { LabelBudget } from './label-budget.js';

export interface CounterFacade<T extends string> {
  inc(labels: LabelValues<T>, value?: number): void;
}

export interface GaugeFacade<T extends string> {
  set(labels: LabelValues<T>, value: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  remove(labels: LabelValues<T>): void;
  reset(): void;
}

export interface HistogramFacade<T extends string> {
  observe(labels: LabelValues<T>, value: number): void;
}

export function guardCounter<T extends string>(
  metric: Counter<T>,
  budget: LabelBudget,
): CounterFacade<T> {
  return { inc: (labels, value) => metric.inc(budget.foldAll(labels), value) };
}

export function guardGauge<T extends string>(
  metric: Gauge<T>,
  budget: LabelBudget,
): GaugeFacade<T> {
  return {
    set: (labels, value) => metric.set(budget.foldAll(labels), value),
    inc: (labels, value) => metric.inc(budget.foldAll(labels), value),
    remove: (labels) => metric.remove(budget.foldAll(labels)),
    reset: () => metric.reset(),
  };
}

export function guardHistogram<T extends string>(
  metric: Histogram<T>,
  budget: LabelBudget,
): HistogramFacade<T> {
  return { observe: (labels, value) => metric.observe(budget.foldAll(labels), value) };
}
