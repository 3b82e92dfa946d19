// SLO snapshot per replica set for GET /v1/replicasets (ORCH-2104): what the sidecars reported in
// LeaseFinished over a recent window. Time to first token here is the replica's own (Assign →
// first token, `first_token_ms`); decode time is `decode_time_ms`. Bounded in time and count.
import type { ReplicaSet } from '@llama-orch/contracts';
import { replicaSetKey } from '@llama-orch/core';
import type { LeaseEvent } from '@llama-orch/proto';
import type { ReplicaRecord, ReplicaRegistry } from '../replicas/registry.js';

type SloSnapshot = NonNullable<ReplicaSet['slo']>;

interface Sample {
  readonly at: number;
  readonly error: boolean;
  /** Undefined when the lease produced no token. */
  readonly ttftMs: number | undefined;
  readonly decodeMs: number | undefined;
}

const MAX_SAMPLES_PER_SET = 4096;

export class SloWindow {
  private readonly samples = new Map<string, Sample[]>();

  constructor(
    private readonly registry: ReplicaRegistry,
    private readonly clock: () => number,
    readonly windowMs = 300_000,
  ) {
    registry.watch({ leaseEvent: (record, event) => this.leaseEvent(record, event) });
  }

  private leaseEvent(record: ReplicaRecord, event: LeaseEvent): void {
    if (event.event?.$case !== 'finished') return;
    const f = event.event.value;
    const key = replicaSetKey(this.registry.toReplicaState(record));
    const list = this.samples.get(key) ?? [];
    const produced = f.tokensOut > 0;
    list.push({
      at: this.clock(),
      error: f.reason === 'error',
      ttftMs: produced ? f.firstTokenMs : undefined,
      decodeMs: produced ? f.decodeTimeMs : undefined,
    });
    if (list.length > MAX_SAMPLES_PER_SET) list.splice(0, list.length - MAX_SAMPLES_PER_SET);
    this.samples.set(key, list);
  }

  snapshot(setKey: string): SloSnapshot {
    this.prune();
    const list = this.samples.get(setKey) ?? [];
    const errors = list.filter((s) => s.error).length;
    return {
      window_ms: this.windowMs,
      tasks: list.length,
      errors,
      error_rate: list.length === 0 ? 0 : errors / list.length,
      ttft_p95_ms: p95(list.flatMap((s) => (s.ttftMs === undefined ? [] : [s.ttftMs]))),
      decode_p95_ms: p95(list.flatMap((s) => (s.decodeMs === undefined ? [] : [s.decodeMs]))),
    };
  }

  /** Drop samples older than the window, and sets (e.g. gone after a reload) with none left. */
  private prune(): void {
    const since = this.clock() - this.windowMs;
    for (const [key, list] of this.samples) {
      const kept =
        list[0] !== undefined && list[0].at >= since ? list : list.filter((s) => s.at >= since);
      if (kept.length === 0) this.samples.delete(key);
      else if (kept !== list) this.samples.set(key, kept);
    }
  }
}

/** Nearest-rank 95th percentile; null for no samples. */
export function p95(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] as number;
}
