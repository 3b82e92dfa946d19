// Leases this sidecar holds (ORCH-4012): an Assign is stored as `assigned`, exactly one stream
// request may claim it (→ `streaming`), and it is removed when the stream finishes. Unclaimed
// leases expire so a lost client cannot pin state forever.
import type { Assign, TaskSpec } from '@llama-orch/proto';
import type { EngineAdapter, PreparedPrompt } from '../adapters/types.js';

/** Why a stream request was refused (label values of sidecar_lease_rejections_total). */
export type ClaimFailure = 'missing' | 'unknown' | 'task_mismatch' | 'used' | 'expired';

const EXPIRED_MEMORY = 1000;

export interface Lease {
  leaseId: string;
  task: TaskSpec;
  queuePosition: number;
  predictedStartMs: number;
  /** ORCH-3100: scheduling signals from the Assign, reported in the stream's metrics event. */
  kvWarmth?: boolean;
  queueDepth?: number;
  onTimeProbability?: number;
  state: 'assigned' | 'streaming';
  /** Set when placement canceled the lease; the reason is kept for logs. */
  canceled?: string;
  assignedAt: number;
  /** Called on Cancel while streaming; the stream aborts its engine request. */
  onCancel?: (reason: string) => void;
  /** Its LeaseFinished was already sent (canceled before any stream claimed it). */
  reported?: boolean;
  /** Begun at accept (EngineAdapter.prepare), by this adapter: used only if it still serves. */
  prepared?: { readonly adapter: EngineAdapter; readonly prompt: PreparedPrompt };
}

type ClaimResult = { ok: true; lease: Lease } | { ok: false; reason: ClaimFailure };

type AcceptResult = { ok: true; lease: Lease } | { ok: false; reason: string };

export class LeaseStore {
  private readonly leases = new Map<string, Lease>();
  private readonly expired = new Set<string>();
  // Leases canceled before their stream arrived: they no longer hold the slot, but a late stream
  // request still gets a well-formed `started` + `end{canceled}` instead of a 403.
  private readonly tombstones = new Map<string, Lease>();

  constructor(private readonly now: () => number = Date.now) {}

  accept(assign: Assign): AcceptResult {
    const task = assign.task;
    if (!assign.leaseId || !task?.taskId)
      return { ok: false, reason: 'assign without lease_id or task' };
    const existing = this.leases.get(assign.leaseId);
    // Placement may resend the same Assign after a reconnect: idempotent.
    if (existing) return { ok: true, lease: existing };
    const lease: Lease = {
      leaseId: assign.leaseId,
      task,
      queuePosition: assign.queuePosition,
      predictedStartMs: assign.predictedStartMs,
      kvWarmth: assign.kvWarmth,
      ...(assign.queueDepth !== undefined ? { queueDepth: assign.queueDepth } : {}),
      ...(assign.onTimeProbability !== undefined
        ? { onTimeProbability: assign.onTimeProbability }
        : {}),
      state: 'assigned',
      assignedAt: this.now(),
    };
    this.leases.set(lease.leaseId, lease);
    return { ok: true, lease };
  }

  /** The one stream request a lease authorises: matching task id, not yet used. */
  claim(leaseId: string | undefined, taskId: string): ClaimResult {
    if (!leaseId) return { ok: false, reason: 'missing' };
    const dead = this.tombstones.get(leaseId);
    if (dead && dead.task.taskId === taskId) {
      this.tombstones.delete(leaseId);
      dead.state = 'streaming';
      return { ok: true, lease: dead };
    }
    const lease = this.leases.get(leaseId);
    if (!lease) return { ok: false, reason: this.expired.has(leaseId) ? 'expired' : 'unknown' };
    if (lease.task.taskId !== taskId) return { ok: false, reason: 'task_mismatch' };
    if (lease.state !== 'assigned') return { ok: false, reason: 'used' };
    lease.state = 'streaming';
    return { ok: true, lease };
  }

  /**
   * Marks the lease canceled and tells a running stream. A lease not yet claimed frees its slot at
   * once and is returned with state `assigned` so the caller reports it finished. Undefined for an
   * unknown lease.
   */
  cancel(leaseId: string, reason: string): Lease | undefined {
    const lease = this.leases.get(leaseId);
    if (!lease) return undefined;
    lease.canceled = reason || 'canceled';
    if (lease.state === 'assigned') {
      this.leases.delete(leaseId);
      lease.reported = true;
      this.tombstones.set(leaseId, lease);
      for (const id of this.tombstones.keys()) {
        if (this.tombstones.size <= EXPIRED_MEMORY) break;
        this.tombstones.delete(id);
      }
      return lease;
    }
    lease.onCancel?.(lease.canceled);
    return lease;
  }

  has(leaseId: string): boolean {
    return this.leases.has(leaseId);
  }

  release(leaseId: string): void {
    this.leases.delete(leaseId);
  }

  /** Drops assigned-but-unclaimed leases older than ttlMs; returns them for reporting. */
  expire(ttlMs: number): Lease[] {
    const cutoff = this.now() - ttlMs;
    const gone: Lease[] = [];
    for (const lease of this.leases.values()) {
      if (lease.state === 'assigned' && lease.assignedAt < cutoff) gone.push(lease);
    }
    for (const l of gone) {
      this.leases.delete(l.leaseId);
      this.expired.add(l.leaseId);
    }
    // Remember recent expiries only, so the set stays bounded.
    for (const id of this.expired) {
      if (this.expired.size <= EXPIRED_MEMORY) break;
      this.expired.delete(id);
    }
    return gone;
  }

  active(): Lease[] {
    return [...this.leases.values()];
  }

  streamingCount(): number {
    let n = 0;
    for (const l of this.leases.values()) if (l.state === 'streaming') n += 1;
    return n;
  }

  get size(): number {
    return this.leases.size;
  }
}
