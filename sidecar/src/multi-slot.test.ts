// A best-effort replica whose engine runs several slots (llama-server `--parallel N`) takes that
// many leases at once; a strict one keeps one (ORCH-4016). Before, every sidecar took one lease
// whatever its engine could run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Register, SidecarMessage } from '@llama-orch/proto';
import { startSidecar, type SidecarHandle } from './sidecar.js';
import { startFakeLlama, type FakeLlama } from '../test/support/fake-llama-server.js';
import { startFakePlacement, type FakePlacement } from '../test/support/fake-placement.js';

let fake: FakeLlama;
let placement: FakePlacement;
let sidecar: SidecarHandle;

beforeAll(async () => {
  fake = await startFakeLlama({ tokens: ['a', 'b', 'c', 'd'], delayMs: 150 }, 2);
  placement = await startFakePlacement();
  sidecar = await startSidecar({
    replicaId: 'r-slots',
    poolId: 'pool-slots',
    modelRef: 'fake-model',
    external: { baseUrl: fake.baseUrl, modelDigest: 'cd'.repeat(32) },
    determinismStrict: false,
    placementAddress: placement.address,
    heartbeatMs: 100,
    log: () => undefined,
  });
  await placement.waitFor((m) => m.msg?.$case === 'heartbeat' && m.msg.value.ready, 10_000);
});

afterAll(async () => {
  await sidecar?.close();
  await placement?.close();
  await fake?.close();
});

async function until(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const leaseEvent = (m: SidecarMessage, leaseId: string) =>
  m.msg?.$case === 'lease' && m.msg.value.leaseId === leaseId ? m.msg.value.event : undefined;

function answerTo(leaseId: string) {
  return placement
    .waitFor((m) => {
      const ev = leaseEvent(m, leaseId);
      return ev?.$case === 'accepted' || ev?.$case === 'refused';
    }, 3000)
    .then((m) => leaseEvent(m, leaseId));
}

describe('ORCH-3019: a multi-slot best-effort replica', () => {
  it('ORCH-3019: registers its engine slots, runs that many leases at once, refuses one more as busy', async () => {
    const reg = await placement.waitFor((m) => m.msg?.$case === 'register');
    expect((reg.msg?.value as Register).slots).toBe(2);

    placement.assign('ms-1', { taskId: 'ms-task-1' });
    placement.assign('ms-2', { taskId: 'ms-task-2' });
    expect((await answerTo('ms-1'))?.$case).toBe('accepted');
    expect((await answerTo('ms-2'))?.$case).toBe('accepted');
    placement.assign('ms-3', { taskId: 'ms-task-3' });
    expect(await answerTo('ms-3')).toEqual({
      $case: 'refused',
      value: { reason: 'slot taken', busy: true },
    });
    const full = await placement.waitFor(
      (m) => m.msg?.$case === 'heartbeat' && m.msg.value.slotsFree === 0,
      2000,
    );
    expect(full.msg?.$case).toBe('heartbeat');

    // Both streams decode at the same time, each on any free engine slot: the engine has both
    // requests before either stream ends (each takes 4 × 150 ms).
    const seen = fake.requests.length;
    let ended = 0;
    const open = (task: string, lease: string) =>
      fetch(`http://127.0.0.1:${sidecar.port}/v1/tasks/${task}/stream`, {
        headers: { 'x-orch-lease-id': lease },
      })
        .then((r) => r.text())
        .finally(() => (ended += 1));
    const streams = Promise.all([open('ms-task-1', 'ms-1'), open('ms-task-2', 'ms-2')]);
    await until(() => fake.requests.length === seen + 2, 3000);
    expect(ended).toBe(0);
    for (const body of await streams) expect(body).toContain('event: end');
    const slots = fake.requests.slice(-2).map((r) => r.id_slot);
    expect(slots).toEqual([-1, -1]);

    const free = await placement.waitFor(
      (m) => m.msg?.$case === 'heartbeat' && m.msg.value.slotsFree === 2,
      3000,
    );
    expect(free.msg?.$case).toBe('heartbeat');
  });
});
