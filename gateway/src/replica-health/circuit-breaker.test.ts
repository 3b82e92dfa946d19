// ORCH-3040: the per-replica circuit breaker's state machine, on a fake clock.
import type { ReplicaState } from '@llama-orch/core';
import { describe, expect, it } from 'vitest';
import { CircuitBreakers, leaseVerdict } from './circuit-breaker.js';

const R1 = 'r1';
const replica: ReplicaState = {
  replica_id: R1,
  pool_id: 'pool-a',
  engine: 'llamacpp',
  engine_version: 'b1',
  model_ref: 'm',
  model_digest: 'd',
  sampler_profile_version: 'v1',
  canary_hash: 'c0',
  ctx_max: 2048,
  ready: true,
  slots_total: 4,
  slots_free: 4,
  kv_usage_ratio: 0,
};

function setup(): { now: { t: number }; b: CircuitBreakers; changes: string[] } {
  const now = { t: 0 };
  const changes: string[] = [];
  const b = new CircuitBreakers(
    { consecutiveFailures: 5, cooldownMs: 30_000 },
    () => now.t,
    (id) => changes.push(id),
  );
  return { now, b, changes };
}

function fail(b: CircuitBreakers, n: number, code = 'WORKER_RESET'): void {
  for (let i = 0; i < n; i++) b.leaseEnded(R1, `L-f${i}`, 'failure', code);
}

describe('ORCH-3040: circuit breaker state machine', () => {
  it('ORCH-3040: only WORKER_RESET/DECODE_TIMEOUT count as failures; stop/length are successes', () => {
    expect(leaseVerdict('error', 'WORKER_RESET')).toBe('failure');
    expect(leaseVerdict('error', 'DECODE_TIMEOUT')).toBe('failure');
    expect(leaseVerdict('error', 'CTX_EXCEEDED')).toBe('neutral');
    expect(leaseVerdict('canceled', '')).toBe('neutral');
    expect(leaseVerdict('stop', '')).toBe('success');
    expect(leaseVerdict('length', '')).toBe('success');
  });

  it('ORCH-3040: opens after 5 consecutive failures; a success in between resets the count', () => {
    const { b, changes } = setup();
    fail(b, 4);
    b.leaseEnded(R1, 'L-ok', 'success');
    fail(b, 4);
    expect(b.state(R1)).toBe('closed');
    expect(b.gate(replica)).toBe(replica);
    b.leaseEnded(R1, 'L-x', 'neutral'); // a canceled lease neither resets nor counts
    fail(b, 1, 'DECODE_TIMEOUT');
    expect(b.state(R1)).toBe('open');
    expect(changes).toEqual([R1]);
    expect(b.gate(replica).ready).toBe(false);
    expect(b.reason(R1)).toBe(
      'circuit_open: 5 consecutive DECODE_TIMEOUT, retry at 1970-01-01T00:00:30.000Z',
    );
  });

  it('ORCH-3040: after the cool-down exactly one trial lease; success closes', () => {
    const { now, b, changes } = setup();
    fail(b, 5);
    b.leaseEnded(R1, 'L-old', 'success'); // a lease from before it opened proves nothing
    now.t = 29_999;
    b.tick();
    expect(b.state(R1)).toBe('open');
    expect(changes).toHaveLength(1);
    now.t = 30_000;
    b.tick();
    expect(b.state(R1)).toBe('half_open');
    expect(changes).toHaveLength(2); // re-offered to core
    const offered = b.gate(replica);
    expect(offered.ready).toBe(true);
    expect(offered.slots_total).toBe(1); // one dispatch pass can give it one lease at most
    b.assigned(R1, 'L-trial');
    b.assigned(R1, 'L-second'); // not a second trial
    expect(b.gate(replica).ready).toBe(false);
    expect(b.reason(R1)).toMatch(/trial lease L-trial running/);
    b.leaseEnded(R1, 'L-second', 'success');
    expect(b.state(R1)).toBe('half_open');
    b.leaseEnded(R1, 'L-trial', 'success');
    expect(b.state(R1)).toBe('closed');
    expect(b.gate(replica)).toBe(replica);
    expect(b.reason(R1)).toBeUndefined();
  });

  it('ORCH-3040: a failing trial reopens for another full cool-down', () => {
    const { now, b } = setup();
    fail(b, 5);
    now.t = 30_000;
    b.assigned(R1, 'L-trial');
    now.t = 31_000;
    b.leaseEnded(R1, 'L-trial', 'failure', 'WORKER_RESET');
    expect(b.state(R1)).toBe('open');
    expect(b.reason(R1)).toMatch(/retry at 1970-01-01T00:01:01.000Z/);
    now.t = 60_999;
    expect(b.state(R1)).toBe('open');
    now.t = 61_000;
    expect(b.state(R1)).toBe('half_open');
  });

  it('ORCH-3040: a trial that never ran (not accepted, replica gone) frees the trial slot', () => {
    const { now, b } = setup();
    fail(b, 5);
    now.t = 30_000;
    b.assigned(R1, 'L-trial');
    b.leaseEnded(R1, 'L-trial', 'neutral');
    expect(b.gate(replica).ready).toBe(true);
    b.assigned(R1, 'L-trial2');
    b.replicaGone(R1);
    expect(b.gate(replica).ready).toBe(true);
    expect(b.state(R1)).toBe('half_open');
  });
});
