// ORCH-3019/4019: the fleet gauges (placement_replicas_ready, model_state, control streams) are
// rebuilt when /metrics is read, not on every heartbeat: per heartbeat that cost O(replicas), so
// O(replicas²) per second across a fleet.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeSidecar } from '../../test/support/sidecar-messages.js';
import { createHarness } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';

let h: Harness;
afterEach(() => h.close());

describe('ORCH-4019: fleet gauges are computed per scrape', () => {
  it('ORCH-4019: heartbeats write no fleet gauge; a scrape shows every replica as it is now', async () => {
    h = createHarness();
    const modelState = vi.spyOn(h.metrics.modelState, 'set');
    const ready = vi.spyOn(h.metrics.replicasReady, 'inc');
    const sidecars = [0, 1, 2].map(
      (i) => new FakeSidecar(h, { replicaId: `r${i}`, advertiseAddress: `127.0.0.1:${8100 + i}` }),
    );
    for (let beat = 0; beat < 20; beat++) for (const s of sidecars) s.heartbeat(true);
    expect(modelState).not.toHaveBeenCalled();
    expect(ready).not.toHaveBeenCalled();

    sidecars[2]?.heartbeat(false, 'draining');
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(/^placement_replicas_ready\{[^}]*pool_id="pool-a"[^}]*\} 2$/m);
    expect(text).toMatch(/^placement_control_streams_connected 3$/m);
    const current = [...text.matchAll(/^model_state\{([^}]*)\} 1$/gm)].map((m) => m[1] ?? '');
    expect(current).toHaveLength(3);
    expect(current.filter((l) => l.includes('state="ready"'))).toHaveLength(2);
    expect(current.find((l) => l.includes('replica_id="r2"'))).toContain('state="draining"');
    // One rebuild per scrape, however many fleet gauges the scrape reads.
    expect(modelState.mock.calls.length).toBe(3 * 6);
  });
});
