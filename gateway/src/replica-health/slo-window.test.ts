import { validateResponse } from '@llama-orch/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSidecar, runTask } from '../../test/support/sidecar-messages.js';
import { MODEL_REF, createHarness } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';
import { p95 } from './slo-window.js';

let h: Harness | undefined;
afterEach(() => h?.close());

const settle = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('ORCH-2104: replica sets carry load and an SLO snapshot', () => {
  it('ORCH-2104: p95 is the nearest-rank 95th percentile, null without samples', () => {
    expect(p95([])).toBeNull();
    expect(p95([7])).toBe(7);
    expect(p95(Array.from({ length: 100 }, (_, i) => i + 1))).toBe(95);
    expect(p95([5, 1, 3, 2, 4])).toBe(5);
  });

  it('ORCH-2104: finished leases feed the set snapshot; the window forgets them; sets without a Ready replica are not listed', async () => {
    h = createHarness();
    const a = new FakeSidecar(h, { replicaId: 'r1' });
    new FakeSidecar(h, { replicaId: 'r2', advertiseAddress: '127.0.0.1:8101' });
    for (let i = 0; i < 3; i++) expect(await runTask(h, MODEL_REF)).toBe('route');
    await settle();
    const list = h.pools.replicaSets();
    expect(validateResponse('listReplicaSets', 200, list).issues).toEqual([]);
    expect(list.replica_sets).toHaveLength(1);
    expect(list.replica_sets[0]).toMatchObject({
      replicas_ready: 2,
      slo: { tasks: 3, errors: 0, error_rate: 0, ttft_p95_ms: 20, decode_p95_ms: 40 },
    });
    h.now.t += 300_001;
    for (const s of [a]) s.heartbeat(true);
    expect(h.pools.replicaSets().replica_sets[0]?.slo).toMatchObject({
      tasks: 0,
      ttft_p95_ms: null,
    });
    // Neither replica Ready → no set listed (ORCH-2104).
    a.heartbeat(false, 'engine down');
    h.registry.sweep();
    expect(h.pools.replicaSets().replica_sets).toEqual([]);
  });
});
