// ORCH-3040 circuit breaker, one per replica:
//   closed ──N consecutive WORKER_RESET/DECODE_TIMEOUT──▶ open ──cool-down──▶ half_open
//   half_open: exactly one trial lease; success → closed, failure → open again.
// An open breaker (or a half-open one whose trial is out) keeps the replica out of placement by
// reporting it not ready to core, like an ORCH-4021 suspect; unlike a suspect it stays out across
// heartbeats, because every state core gets goes through gate(). A half-open replica is offered
// to core with one slot, so a dispatch pass cannot hand it more than the one trial lease.
import type { ReplicaState } from '@llama-orch/core';
import type { ReplicaRegistry } from '../replicas/registry.js';

export interface CircuitBreakerConfig {
  /** Consecutive failing leases that open the breaker. */
  readonly consecutiveFailures: number;
  /** How long an open breaker waits before it lets one trial lease through. */
  readonly cooldownMs: number;
}

const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerConfig = {
  consecutiveFailures: 5,
  cooldownMs: 30_000,
};

/** Lease errors that say the replica (not the request) is broken. */
const REPLICA_FAULTS: ReadonlySet<string> = new Set(['WORKER_RESET', 'DECODE_TIMEOUT']);

type BreakerState = 'closed' | 'open' | 'half_open';
/** What a lease's end says about its replica; `neutral` says nothing (canceled, bad request). */
type LeaseVerdict = 'success' | 'failure' | 'neutral';

export function leaseVerdict(reason: string, errorCode: string | undefined): LeaseVerdict {
  if (reason === 'stop' || reason === 'length') return 'success';
  return reason === 'error' && REPLICA_FAULTS.has(errorCode ?? '') ? 'failure' : 'neutral';
}

interface Breaker {
  state: BreakerState;
  failures: number;
  lastFault: string;
  openedAt: number;
  /** The half-open trial lease in flight. */
  trialLease: string | undefined;
}

export class CircuitBreakers {
  private readonly breakers = new Map<string, Breaker>();

  constructor(
    private readonly config: CircuitBreakerConfig,
    private readonly clock: () => number,
    /** Called whenever a replica's placement eligibility changes (re-upsert it into core). */
    private readonly changed: (replicaId: string) => void = () => undefined,
  ) {}

  /** The breaker's state now (an open breaker whose cool-down has passed reads half_open). */
  state(replicaId: string): BreakerState {
    const b = this.breakers.get(replicaId);
    if (!b) return 'closed';
    return b.state === 'open' && this.cooledDown(b) ? 'half_open' : b.state;
  }

  /** A lease ended on `replicaId` (LeaseFinished, or an Assign that was never accepted). */
  leaseEnded(replicaId: string, leaseId: string, verdict: LeaseVerdict, code = ''): void {
    const b = this.breakers.get(replicaId);
    if (b) this.settle(b);
    const state = this.state(replicaId);
    if (!b) {
      if (verdict === 'failure') this.breakers.set(replicaId, fresh(code));
      this.maybeOpen(replicaId);
      return;
    }
    if (state === 'open') return; // leases from before it opened prove nothing either way
    if (state === 'half_open') {
      if (b.trialLease !== leaseId) return;
      b.trialLease = undefined;
      if (verdict === 'success') this.breakers.delete(replicaId);
      if (verdict === 'failure') this.open(b, code);
      this.changed(replicaId); // closed, reopened, or ready for another trial
      return;
    }
    if (verdict === 'success') this.breakers.delete(replicaId);
    if (verdict === 'failure') {
      b.failures++;
      b.lastFault = code;
      this.maybeOpen(replicaId);
    }
  }

  /** core dispatched a lease to `replicaId`: a half-open replica's trial is now out. */
  assigned(replicaId: string, leaseId: string): void {
    const b = this.breakers.get(replicaId);
    if (!b) return;
    this.settle(b);
    if (b.state !== 'half_open' || b.trialLease !== undefined) return;
    b.trialLease = leaseId;
    this.changed(replicaId);
  }

  /** The replica's stream ended: a trial lease on it will never report. */
  replicaGone(replicaId: string): void {
    const b = this.breakers.get(replicaId);
    if (b) b.trialLease = undefined;
  }

  /** Apply the breaker to the state core is about to get for this replica. */
  gate(state: ReplicaState): ReplicaState {
    const b = this.breakers.get(state.replica_id);
    const s = this.state(state.replica_id);
    if (s === 'closed') return state;
    if (s === 'open' || b?.trialLease !== undefined) return { ...state, ready: false };
    return { ...state, slots_total: Math.min(state.slots_total, 1) };
  }

  /** Why health shows the replica not Ready, or undefined when the breaker does not hold it. */
  reason(replicaId: string): string | undefined {
    const b = this.breakers.get(replicaId);
    const s = this.state(replicaId);
    if (!b || s === 'closed') return undefined;
    const why = `${this.config.consecutiveFailures} consecutive ${b.lastFault}`;
    if (s === 'open') {
      const retryAt = new Date(b.openedAt + this.config.cooldownMs).toISOString();
      return `circuit_open: ${why}, retry at ${retryAt}`;
    }
    return b.trialLease === undefined
      ? `circuit_half_open: ${why}, waiting for one trial lease`
      : `circuit_half_open: ${why}, trial lease ${b.trialLease} running`;
  }

  /** Periodic: open breakers whose cool-down passed turn half-open and are offered to core. */
  tick(): void {
    for (const [replicaId, b] of this.breakers) if (this.settle(b)) this.changed(replicaId);
  }

  private cooledDown(b: Breaker): boolean {
    return this.clock() - b.openedAt >= this.config.cooldownMs;
  }

  /** Persist the cool-down's open → half_open; true when it happened now. */
  private settle(b: Breaker): boolean {
    if (b.state !== 'open' || !this.cooledDown(b)) return false;
    b.state = 'half_open';
    b.trialLease = undefined;
    return true;
  }

  private maybeOpen(replicaId: string): void {
    const b = this.breakers.get(replicaId);
    if (b && b.state === 'closed' && b.failures >= this.config.consecutiveFailures) {
      this.open(b, b.lastFault);
      this.changed(replicaId);
    }
  }

  private open(b: Breaker, code: string): void {
    b.state = 'open';
    b.lastFault = code || b.lastFault;
    b.openedAt = this.clock();
    b.trialLease = undefined;
  }
}

function fresh(code: string): Breaker {
  return { state: 'closed', failures: 1, lastFault: code, openedAt: 0, trialLease: undefined };
}

/** What the breakers need to re-offer a replica (the director's options fit). */
interface BreakerWiring {
  readonly registry: Pick<ReplicaRegistry, 'refresh'>;
  readonly clock: () => number;
  readonly circuitBreaker?: CircuitBreakerConfig;
}

/**
 * Breakers that, on every change, have the registry report the replica again (its sink passes
 * the state through gate() into core: the registry stays the one source of readiness), then `kick`.
 */
export function wiredBreakers(w: BreakerWiring, kick: () => void): CircuitBreakers {
  return new CircuitBreakers(w.circuitBreaker ?? DEFAULT_CIRCUIT_BREAKER, w.clock, (replicaId) => {
    w.registry.refresh(replicaId);
    kick();
  });
}
