import { validateResponse } from '@llama-orch/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeControlCall, createHarness, register } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';
import { replicaLifecycle } from './lifecycle.js';

const heartbeat = (ready: boolean, unreadyReason = '') => ({
  msg: {
    $case: 'heartbeat' as const,
    value: {
      ready,
      unreadyReason,
      slotsFree: ready ? 1 : 0,
      running: 0,
      waiting: 0,
      kvUsageRatio: 0,
    },
  },
});

describe('ORCH-2103/ORCH-4011: replica lifecycle in pool health', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('ORCH-4011: Registering → SelfTesting → Ready → Unready(stale heartbeat) → gone when the control stream drops', () => {
    h = createHarness();
    const call = new FakeControlCall();
    h.registry.handleConnect(call);
    call.push({ msg: { $case: 'register', value: register() } });
    const reason = () => {
      const health = h?.pools.health('pool-a');
      expect(validateResponse('getPoolHealth', 200, health).issues).toEqual([]);
      const r = health?.replicas[0];
      return r ? `${String(r.ready)} ${r.unready_reason ?? ''}` : 'absent';
    };
    expect(reason()).toBe('false Registering: no heartbeat yet');
    call.push(heartbeat(false, 'sidecar starting'));
    expect(reason()).toBe('false SelfTesting: sidecar starting');
    call.push(heartbeat(false, 'engine slot still busy after cancel (engine ignored the abort)'));
    expect(reason()).toBe(
      'false Unready: engine slot still busy after cancel (engine ignored the abort)',
    );
    call.push(heartbeat(true));
    expect(reason()).toBe('true ');
    // The bound: heartbeat timeout (5000 ms here) — past it, Unready with no new message at all.
    h.now.t += 5001;
    expect(reason()).toMatch(/^false Unready: heartbeat stale \(last one 5001 ms ago\)$/);
    expect(h.pools.health('pool-a').ready).toBe(false);
    call.push(heartbeat(true));
    expect(reason()).toBe('true ');
    call.emit('end');
    expect(reason()).toBe('absent');
    expect(h.pools.health('pool-a')).toMatchObject({
      ready: false,
      metrics: { replicas_total: 0 },
    });
  });

  it('ORCH-2101: a draining replica is Draining while leases run, then Drained; a failing check is not SelfTesting', () => {
    const base = {
      heartbeat: true,
      reportedReady: true,
      reportedReason: '',
      fresh: true,
      heartbeatAgeMs: 10,
      outsideServingSet: false,
    };
    expect(replicaLifecycle({ ...base, drainingLeases: undefined }).state).toBe('Ready');
    expect(replicaLifecycle({ ...base, drainingLeases: 2 }).state).toBe('Draining');
    expect(replicaLifecycle({ ...base, drainingLeases: 0 }).state).toBe('Drained');
    const failed = replicaLifecycle({
      ...base,
      reportedReady: false,
      reportedReason: 'canary failed: engine cannot decode',
      drainingLeases: undefined,
    });
    expect(failed).toEqual({
      state: 'Unready',
      reason: 'Unready: canary failed: engine cannot decode',
    });
  });
});
