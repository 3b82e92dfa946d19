// ORCH-3029/3079: predictions from observed service times, never constants. Each pool keeps EWMAs
// of first-token latency, decode ms per token and whole-task service time, seeded by config priors.
import type { PoolState } from '../model.js';
import type { LeaseOutcome } from '../types.js';

/** Predicted time to serve a task once dispatched. */
export function predictServiceMs(pool: PoolState, maxTokens: number): number {
  return pool.firstTokenMs + maxTokens * pool.msPerToken;
}

/**
 * Predicted wait before dispatch: with `ahead` tasks to be served first, `free` slots open now and
 * `slots` Ready slots in the serving set, the task starts in wave ⌊(ahead - free) / slots⌋ + 1.
 */
export function predictStartMs(
  pool: PoolState,
  ahead: number,
  free: number,
  slots: number,
): number {
  if (ahead < free) return 0;
  if (slots <= 0) return Math.ceil(pool.meanServiceMs);
  const waves = Math.floor((ahead - free) / slots) + 1;
  return Math.ceil(waves * pool.meanServiceMs);
}

export function observe(
  pool: PoolState,
  alpha: number,
  outcome: LeaseOutcome,
  wallMs: number | undefined,
): void {
  const ewma = (old: number, x: number): number => old + alpha * (x - old);
  if (outcome.firstTokenMs !== undefined) {
    pool.firstTokenMs = ewma(pool.firstTokenMs, outcome.firstTokenMs);
  }
  if (
    outcome.decodeTimeMs !== undefined &&
    outcome.tokensOut !== undefined &&
    outcome.tokensOut > 0
  ) {
    pool.msPerToken = ewma(pool.msPerToken, outcome.decodeTimeMs / outcome.tokensOut);
  }
  const service =
    outcome.firstTokenMs !== undefined && outcome.decodeTimeMs !== undefined
      ? outcome.firstTokenMs + outcome.decodeTimeMs
      : wallMs;
  if (service !== undefined && service >= 0) pool.meanServiceMs = ewma(pool.meanServiceMs, service);
}
