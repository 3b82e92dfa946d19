// Bounded waits for a sidecar's answer to an Assign: LeaseAccepted, or LeaseRefused (ORCH-4033),
// else a timeout (ORCH-4021: default 2 s) or the replica's stream ending.
type AcceptOutcome = 'accepted' | 'refused' | 'timeout' | 'gone';

export class LeaseWaits {
  private readonly pending = new Map<
    string,
    { settle(o: AcceptOutcome): void; replicaId: string }
  >();

  wait(leaseId: string, replicaId: string, timeoutMs: number): Promise<AcceptOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle('timeout'), timeoutMs);
      const settle = (outcome: AcceptOutcome): void => {
        clearTimeout(timer);
        this.pending.delete(leaseId);
        resolve(outcome);
      };
      this.pending.set(leaseId, { settle, replicaId });
    });
  }

  /** Returns false when nobody waits for this lease on this replica (late or foreign event). */
  accept(leaseId: string, replicaId: string): boolean {
    return this.answer(leaseId, replicaId, 'accepted');
  }

  /** The sidecar refused the Assign (ORCH-4033); false when nobody waits for it. */
  refuse(leaseId: string, replicaId: string): boolean {
    return this.answer(leaseId, replicaId, 'refused');
  }

  private answer(leaseId: string, replicaId: string, outcome: AcceptOutcome): boolean {
    const entry = this.pending.get(leaseId);
    if (!entry || entry.replicaId !== replicaId) return false;
    entry.settle(outcome);
    return true;
  }

  /** The replica's stream ended: its pending leases will never be accepted. */
  replicaGone(replicaId: string): void {
    for (const entry of [...this.pending.values()]) {
      if (entry.replicaId === replicaId) entry.settle('gone');
    }
  }

  closeAll(): void {
    for (const entry of [...this.pending.values()]) entry.settle('gone');
  }
}
