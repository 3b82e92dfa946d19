import { describe, expect, it } from 'vitest';
import { FakeControlCall, createHarness, register } from '../../test/support/harness.js';

const heartbeat = (ready: boolean, slotsFree = 1) => ({
  msg: {
    $case: 'heartbeat' as const,
    value: {
      ready,
      unreadyReason: ready ? '' : 'engine down',
      slotsFree,
      running: 0,
      waiting: 0,
      kvUsageRatio: 0.25,
    },
  },
});

describe('ReplicaRegistry (fake control streams)', () => {
  it('ORCH-4011: Ready only with a fresh heartbeat saying ready', () => {
    const h = createHarness();
    const call = new FakeControlCall();
    h.registry.handleConnect(call);
    call.push({ msg: { $case: 'register', value: register() } });
    const record = h.registry.get('r1');
    expect(record).toBeDefined();
    if (!record) return;
    expect(h.registry.isReady(record)).toBe(false); // registered, no heartbeat yet
    call.push(heartbeat(true));
    expect(h.registry.isReady(record)).toBe(true);
    call.push(heartbeat(false));
    expect(h.registry.isReady(record)).toBe(false);
    call.push(heartbeat(true));
    h.now.t += 5001; // heartbeat goes stale
    expect(h.registry.isReady(record)).toBe(false);
    h.director.tick(); // the sweep reports it to core
    expect(h.core.snapshot().replicas.find((r) => r.replicaId === 'r1')?.ready).toBe(false);
    h.close();
  });

  it('ORCH-4021: a suspect replica is Unready in the registry and in core alike until its next heartbeat', () => {
    const h = createHarness();
    const call = h.connect();
    const record = h.registry.get('r1');
    if (!record) throw new Error('not registered');
    const coreReady = (): boolean | undefined =>
      h.core.snapshot().replicas.find((r) => r.replicaId === 'r1')?.ready;
    expect([h.registry.isReady(record), coreReady()]).toEqual([true, true]);
    h.registry.markSuspect('r1');
    // One source of truth: core learns it from the registry's report, and they agree.
    expect([h.registry.isReady(record), coreReady()]).toEqual([false, false]);
    h.director.tick(); // a sweep does not flip it back on its own
    expect([h.registry.isReady(record), coreReady()]).toEqual([false, false]);
    call.push(heartbeat(true));
    expect([h.registry.isReady(record), coreReady()]).toEqual([true, true]);
    h.close();
  });

  it('ORCH-4010: Register is acknowledged; a bad Register is refused and the stream ended', () => {
    const h = createHarness();
    const good = new FakeControlCall();
    h.registry.handleConnect(good);
    good.push({ msg: { $case: 'register', value: register() } });
    expect(good.commands('ack')).toEqual([{ accepted: true, message: '' }]);

    for (const bad of [
      { engine: 'mock' },
      { advertiseAddress: 'sidecar.local:8100' },
      { replicaId: '' },
    ]) {
      const call = new FakeControlCall();
      h.registry.handleConnect(call);
      call.push({ msg: { $case: 'register', value: register({ replicaId: 'r2', ...bad }) } });
      expect(call.commands('ack')[0]?.accepted).toBe(false);
      expect(call.ended).toBe(true);
    }
    expect(h.registry.list().map((r) => r.replicaId)).toEqual(['r1']);
    h.close();
  });

  it('ORCH-4010: messages before Register are refused', () => {
    const h = createHarness();
    const call = new FakeControlCall();
    h.registry.handleConnect(call);
    call.push(heartbeat(true));
    expect(call.commands('ack')[0]?.accepted).toBe(false);
    expect(call.ended).toBe(true);
    h.close();
  });

  it('ORCH-4007: a reconnect with the same replica_id replaces the old stream', () => {
    const h = createHarness();
    const first = h.connect();
    const second = h.connect();
    expect(first.ended).toBe(true);
    expect(h.registry.connected).toBe(1);
    first.emit('end'); // the old stream's end must not remove the new registration
    expect(h.registry.connected).toBe(1);
    second.emit('cancelled');
    expect(h.registry.connected).toBe(0);
    h.close();
  });

  it('ORCH-5002: a bare-hex model digest is compared as sha256:<hex>', () => {
    const h = createHarness();
    const call = h.connect({ modelDigest: 'ab'.repeat(32) });
    const record = h.registry.get('r1');
    expect(record && h.registry.toReplicaState(record).model_digest).toBe(
      `sha256:${'ab'.repeat(32)}`,
    );
    expect(call.commands('ack')[0]?.accepted).toBe(true);
    h.close();
  });

  it('ORCH-3019: heartbeats feed slot state into core and kv usage into metrics', async () => {
    const h = createHarness();
    h.connect({}, 1);
    const text = await h.metrics.registry.getSingleMetricAsString('kv_cache_usage_ratio');
    expect(text).toContain('replica_id="r1"');
    expect(h.core.snapshot().replicas[0]).toMatchObject({
      replicaId: 'r1',
      ready: true,
      slotsFree: 1,
    });
    h.close();
  });
});
