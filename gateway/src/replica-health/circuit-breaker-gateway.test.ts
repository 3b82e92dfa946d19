// ORCH-3040 through the real core, registry, director and control bridge, with fake sidecars:
// a replica whose leases keep ending in WORKER_RESET stops getting Assigns, then gets one trial.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSidecar, runTask } from '../../test/support/sidecar-messages.js';
import { MODEL_REF, createHarness } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';

let h: Harness;
afterEach(() => h.close());

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const idle = (): boolean => h.core.snapshot().replicas.every((r) => r.activeLeases === 0);

/** Two tasks at once (one slot per replica), then wait until both leases ended. */
async function pair(): Promise<void> {
  await Promise.all([runTask(h, MODEL_REF), runTask(h, MODEL_REF)]);
  await until(idle);
}

const healthOf = (id: string) => h.pools.health('pool-a').replicas.find((r) => r.replica_id === id);

describe('ORCH-3040: circuit breaker with fake sidecars', () => {
  it('ORCH-3040: 5 WORKER_RESETs open the breaker, tasks flow to the other replica, one trial after the cool-down closes it', async () => {
    h = createHarness();
    const bad = new FakeSidecar(h, { replicaId: 'r1', advertiseAddress: '127.0.0.1:8100' });
    const good = new FakeSidecar(h, { replicaId: 'r2', advertiseAddress: '127.0.0.1:8101' });
    bad.finish = () => ({
      reason: 'error',
      errorCode: 'WORKER_RESET',
      tokensIn: 3,
      tokensOut: 0,
      firstTokenMs: 0,
      decodeTimeMs: 0,
    });

    for (let round = 0; round < 20 && bad.assigned.length < 5; round++) await pair();
    expect(bad.assigned).toHaveLength(5);
    const r1 = healthOf('r1');
    expect(r1?.ready).toBe(false);
    expect(r1?.unready_reason).toMatch(
      /^Unready: circuit_open: 5 consecutive WORKER_RESET, retry at \d{4}-\d\d-\d\dT/,
    );
    expect(h.pools.health('pool-a').metrics.replicas_ready).toBe(1);

    // Open: every task goes to r2, r1 gets no Assign although its heartbeats say ready.
    const goodBefore = good.assigned.length;
    bad.heartbeat(true);
    // placement_replicas_ready agrees with health.
    const gauge = await h.metrics.registry.getSingleMetricAsString('placement_replicas_ready');
    expect(gauge).toMatch(/placement_replicas_ready\{[^}]*pool_id="pool-a"[^}]*\} 1$/m);
    for (let i = 0; i < 3; i++) await pair();
    expect(bad.assigned).toHaveLength(5);
    expect(good.assigned.length - goodBefore).toBe(6);

    // Cool-down over: half-open, exactly one trial lease goes to r1; it succeeds and closes.
    h.now.t += 30_000;
    bad.heartbeat(true);
    good.heartbeat(true);
    h.director.tick();
    expect(healthOf('r1')?.unready_reason).toMatch(/circuit_half_open/);
    bad.finish = good.finish;
    await pair();
    expect(bad.assigned).toHaveLength(6);
    expect(h.director.breakers.state('r1')).toBe('closed');
    expect(healthOf('r1')?.ready).toBe(true);
    await pair();
    expect(bad.assigned).toHaveLength(7); // takes traffic again
  });

  it('ORCH-3040: a failing trial reopens the breaker for another cool-down', async () => {
    h = createHarness();
    const bad = new FakeSidecar(h, { replicaId: 'r1', advertiseAddress: '127.0.0.1:8100' });
    const good = new FakeSidecar(h, { replicaId: 'r2', advertiseAddress: '127.0.0.1:8101' });
    bad.finish = () => ({
      reason: 'error',
      errorCode: 'DECODE_TIMEOUT',
      tokensIn: 3,
      tokensOut: 1,
      firstTokenMs: 5,
      decodeTimeMs: 0,
    });
    for (let round = 0; round < 20 && bad.assigned.length < 5; round++) await pair();
    h.now.t += 30_000;
    bad.heartbeat(true);
    good.heartbeat(true);
    h.director.tick();
    await pair();
    expect(bad.assigned).toHaveLength(6);
    expect(h.director.breakers.state('r1')).toBe('open');
    expect(healthOf('r1')?.unready_reason).toMatch(/circuit_open: 5 consecutive DECODE_TIMEOUT/);
  });
});
