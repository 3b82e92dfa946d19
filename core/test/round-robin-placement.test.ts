// ORCH-3130: the `round-robin` plugin (a content-blind baseline profile, what bench:goodput-stack
// compares against): the next replica in id order after the last choice, skipping replicas that
// cannot take the task, reaching past the k least-loaded candidates; it takes no params.
import { describe, expect, it } from 'vitest';
import { CoreError, Scheduler } from '../src/index.js';
import type { SchedulerConfig } from '../src/index.js';
import { baseConfig, manualClock, placementFleet } from './fixtures.js';

function rrConfig(params?: Record<string, unknown>): SchedulerConfig {
  const c = baseConfig();
  return {
    ...c,
    pools: c.pools.map((p) => ({ ...p, placementProfile: 'rr' })),
    placement: { profiles: [{ name: 'rr', plugins: [{ type: 'round-robin', params }] }] },
  };
}

function fleet(ids: string[], slots = 1) {
  return placementFleet(rrConfig(), { ids, slots });
}

describe('ORCH-3130: round-robin placement profile', () => {
  it('ORCH-3130: idle replicas take turns in id order, past the k least loaded', () => {
    // Eight replicas, 4 slots each: least-load would keep choosing among the emptiest; candidates
    // are the 4 least loaded plus the next ones in rotation.
    const { send, finish } = fleet(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'], 4);
    const order: string[] = [];
    for (let i = 0; i < 16; i++) {
      const d = send();
      order.push(d.replicaId);
      finish(d.leaseId);
    }
    const lap = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
    expect(order).toEqual([...lap, ...lap]);
  });

  it('ORCH-3130: a busy replica is skipped, not waited for', () => {
    const { send, finish } = fleet(['r0', 'r1', 'r2'], 1);
    const a = send();
    const b = send();
    expect([a.replicaId, b.replicaId]).toEqual(['r0', 'r1']);
    finish(a.leaseId);
    // r2 is next; then r0 (free again); r1 is still busy, so after r0 comes r2's turn once free.
    const c = send();
    expect(c.replicaId).toBe('r2');
    const d = send();
    expect(d.replicaId).toBe('r0');
    finish(c.leaseId);
    expect(send().replicaId).toBe('r2');
    finish(b.leaseId);
  });

  it('ORCH-3130: round-robin takes no params', () => {
    expect(
      () => new Scheduler({ config: rrConfig({ step: 2 }), clock: manualClock().read }),
    ).toThrow(CoreError);
  });
});
