// The mock adapter drives a whole in-process sidecar: no engine process, no network engine. It
// proves the seam is engine-agnostic and that a simulated engine says so at Register (ORCH-4020).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakePlacement, type FakePlacement } from '../../../test/support/fake-placement.js';
import { startSidecar, type SidecarHandle } from '../../sidecar.js';

let placement: FakePlacement;
let sidecar: SidecarHandle;

beforeAll(async () => {
  placement = await startFakePlacement();
  sidecar = await startSidecar({
    replicaId: 'r-mock',
    poolId: 'pool-mock',
    engine: 'mock',
    modelRef: 'mock-model',
    external: { baseUrl: 'http://mock.invalid', modelDigest: 'ab'.repeat(32) },
    placementAddress: placement.address,
    heartbeatMs: 100,
    log: () => undefined,
  });
}, 30_000);
afterAll(async () => {
  await sidecar?.close();
  await placement?.close();
});

describe('ORCH-4020: a sidecar on the mock adapter', () => {
  it('ORCH-4020: registers a mock- engine_version and the simulated feature, and turns Ready', async () => {
    const reg = await placement.waitFor((m) => m.msg?.$case === 'register', 10_000);
    if (reg.msg?.$case !== 'register') throw new Error('no Register');
    expect(reg.msg.value.engineVersion.startsWith('mock-')).toBe(true);
    expect(reg.msg.value.features).toContain('simulated');
    expect(reg.msg.value.canaryHash).toMatch(/^[0-9a-f]{64}$/);
    await placement.waitFor((m) => m.msg?.$case === 'heartbeat' && m.msg.value.ready, 10_000);
    expect(sidecar.status()).toMatchObject({ ready: true, engineVersion: 'mock-1' });
  });
});
