// Readiness of this replica (ORCH-4011): Ready only while no reason to be unready is recorded.
// Each concern (engine, determinism, canary, drain, cancel confirmation) sets or clears its own key.

// `engine`: the supervised process is down (cleared only by a verified restart); `probe`: a
// transient failure seen on the wire (cleared by the next successful probe).
export type UnreadyKey =
  'starting' | 'engine' | 'probe' | 'determinism' | 'canary' | 'draining' | 'slot';

export class ReplicaState {
  private readonly reasons = new Map<UnreadyKey, string>();

  constructor() {
    this.reasons.set('starting', 'sidecar starting');
  }

  set(key: UnreadyKey, reason: string): void {
    this.reasons.set(key, reason);
  }

  clear(key: UnreadyKey): void {
    this.reasons.delete(key);
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
