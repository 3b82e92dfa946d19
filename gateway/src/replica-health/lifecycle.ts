// Replica lifecycle as health shows it (ORCH-2103, ORCH-4011, ORCH-2101):
//   Registering → SelfTesting → Ready → Draining → Drained | Unready(reason)
// The contract's ReplicaStatus has no state field, so the state leads `unready_reason`
// ("SelfTesting: sidecar starting"); a Ready replica has no reason. Derived only from what the
// sidecar reported (Register, latest Heartbeat and its reason), heartbeat freshness, the pool's
// serving set and the drain state.

type LifecycleState = 'Registering' | 'SelfTesting' | 'Ready' | 'Draining' | 'Drained' | 'Unready';

interface LifecycleInput {
  /** The sidecar sent at least one heartbeat. */
  readonly heartbeat: boolean;
  /** Its last heartbeat said ready. */
  readonly reportedReady: boolean;
  /** The sidecar's unready reason (may be empty). */
  readonly reportedReason: string;
  /** The last heartbeat is newer than the heartbeat timeout. */
  readonly fresh: boolean;
  readonly heartbeatAgeMs: number;
  /** Outside its pool's serving replica set (ORCH-4017). */
  readonly outsideServingSet: boolean;
  /** Running leases left while the pool drains; undefined when it does not drain. */
  readonly drainingLeases: number | undefined;
  /** Outside the serving set because it already serves a running reload's target (ORCH-3031). */
  readonly reloadStandby?: boolean;
  /** ORCH-4021: it let an Assign time out and is out of placement until its next heartbeat. */
  readonly suspect?: boolean;
  /** ORCH-3040: why its circuit breaker holds it, when it does. */
  readonly circuit?: string | undefined;
}

interface Lifecycle {
  readonly state: LifecycleState;
  /** Empty exactly when state is Ready. */
  readonly reason: string;
}

// The sidecar reports these while its startup checks (digest, canary, cancel self-test) run.
// A reloading sidecar (ORCH-2102) is loading its new model and about to self-test it.
const SELF_TEST = /sidecar starting|self-test|canary|loading|preload|reloading/i;

export function replicaLifecycle(i: LifecycleInput): Lifecycle {
  if (i.drainingLeases !== undefined) {
    return i.drainingLeases > 0
      ? {
          state: 'Draining',
          reason: `Draining: ${i.drainingLeases} running lease(s) may finish until the drain deadline`,
        }
      : { state: 'Drained', reason: 'Drained: no running lease left' };
  }
  if (!i.heartbeat) return { state: 'Registering', reason: 'Registering: no heartbeat yet' };
  if (!i.fresh) {
    return {
      state: 'Unready',
      reason: `Unready: heartbeat stale (last one ${Math.round(i.heartbeatAgeMs)} ms ago)`,
    };
  }
  if (!i.reportedReady) {
    const why = i.reportedReason || 'sidecar reports not ready';
    return SELF_TEST.test(why) && !/fail|error/i.test(why)
      ? { state: 'SelfTesting', reason: `SelfTesting: ${why}` }
      : { state: 'Unready', reason: `Unready: ${why}` };
  }
  // Placement's own reasons to hold a replica come before the serving-set check: holding it is
  // what empties its set, so the set would otherwise be named as the cause.
  if (i.suspect) {
    return {
      state: 'Unready',
      reason:
        'Unready: suspect (ORCH-4021): an Assign was not accepted in time; back on its next heartbeat',
    };
  }
  if (i.circuit) return { state: 'Unready', reason: `Unready: ${i.circuit}` };
  if (i.outsideServingSet && i.reloadStandby) {
    return {
      state: 'Unready',
      reason:
        'Unready: standby on the reload target (ORCH-3031): serves once the old replica set has no Ready replica left',
    };
  }
  if (i.outsideServingSet) {
    return {
      state: 'Unready',
      reason:
        'Unready: ORCH-4017: not in the pool serving replica set (engine, model, sampler profile or canary_hash differs)',
    };
  }
  return { state: 'Ready', reason: '' };
}
