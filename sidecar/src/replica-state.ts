// Readiness of this replica (ORCH-4011): Ready only while no reason to be unready is recorded.
// Each concern (engine, determinism, canary, drain, cancel confirmation) sets or clears its own key.

import type { SelfTestStep } from './engine/self-test.js';

// `engine`: the supervised process is down (cleared only by a verified restart); `probe`: a
// transient failure seen on the wire (cleared by the next successful probe); `self-test <step>`:
// a failed startup self-test (ORCH-3049), rendered `self-test decode: <detail>`;
// `restart_storm`: the restart budget is spent (ORCH-3053); `reloading`: a Reload is under way.
export type UnreadyKey =
  | 'starting'
  | 'engine'
  | 'probe'
  | 'determinism'
  | `self-test ${SelfTestStep}`
  | 'restart_storm'
  | 'reloading'
  | 'slot';

export class ReplicaState {
  private readonly reasons = new Map<UnreadyKey, string>();

  constructor() {
    this.reasons.set('starting', 'sidecar starting');
  }

  /** Called when a Ready replica gains its first unready reason (to tell placement at once). */
  onBecameUnready: (() => void) | undefined;

  set(key: UnreadyKey, reason: string): void {
    const wasReady = this.ready;
    this.reasons.set(key, reason);
    if (wasReady) this.onBecameUnready?.();
  }

  clear(key: UnreadyKey): void {
    this.reasons.delete(key);
  }

  /** Drops every key matching `pred` (a new engine replaces the old engine's verdicts). */
  clearWhere(pred: (key: UnreadyKey) => boolean): void {
    for (const k of [...this.reasons.keys()]) if (pred(k)) this.reasons.delete(k);
  }

  has(key: UnreadyKey): boolean {
    return this.reasons.has(key);
  }

  get ready(): boolean {
    return this.reasons.size === 0;
  }

  /** All reasons, stable order, joined for the heartbeat's unready_reason. */
  get reason(): string {
    return [...this.reasons.entries()].map(([k, v]) => `${k}: ${v}`).join('; ');
  }
}
