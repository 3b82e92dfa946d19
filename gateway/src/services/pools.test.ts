import { afterEach, describe, expect, it } from 'vitest';
import { validateResponse } from '@llama-orch/contracts';
import { createHarness } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';

describe('ORCH-4017: pool health reports a replica whose canary hash splits it from the serving set', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('ORCH-4017/ORCH-3046: a Ready replica with another canary hash is reported unready with the reason; the serving ones stay Ready', () => {
    h = createHarness();
    h.connect({ replicaId: 'r1', canaryHash: 'c0' }, 1);
    h.connect({ replicaId: 'r2', canaryHash: 'c0', advertiseAddress: '127.0.0.1:8101' }, 1);
    h.connect({ replicaId: 'r3', canaryHash: 'other', advertiseAddress: '127.0.0.1:8102' }, 1);
    const health = h.pools.health('pool-a');
    expect(validateResponse('getPoolHealth', 200, health).issues).toEqual([]);
    const byId = new Map(health.replicas.map((r) => [r.replica_id, r]));
    expect(byId.get('r1')?.ready).toBe(true);
    expect(byId.get('r2')?.ready).toBe(true);
    expect(byId.get('r3')?.ready).toBe(false);
    expect(byId.get('r3')?.unready_reason).toMatch(/serving replica set.*canary_hash/);
    expect(health.metrics.replicas_ready).toBe(2);
    expect(health.metrics.replicas_total).toBe(3);
  });
});
