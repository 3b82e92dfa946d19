// E2E journey (issue 8): the pool lifecycle through the real stack (Envoy, placement, supervised
// sidecars launching the engine-sim llama-server shim on model files). Three replicas Ready; a
// steady stream of tasks through Envoy the whole time; drain one replica (nothing dispatched to
// it, no error) and give it back; reload the pool to model B (digest changes everywhere, no task
// fails); reload to a model that fails its decode self-test (rolled back, old digest everywhere,
// no task fails). Prints the reload wall time per replica and the failures under load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, sleep } from '../e2e/helpers/client.js';
import { startSimStack, type SimStack } from './sim-stack.js';
import {
  SteadyLoad,
  modelDigest,
  poolHealth,
  startedPerReplica,
  stepLogger,
} from './steady-load.js';

const REPLICAS = 3;
let stack: SimStack;
const say = stepLogger('journey');

beforeAll(async () => {
  stack = await startSimStack({
    replicas: REPLICAS,
    supervised: {
      models: [{ ref: 'sim-a' }, { ref: 'sim-b' }, { ref: 'sim-bad', directives: ['no-decode'] }],
    },
    log: say,
  });
}, 240_000);

afterAll(async () => {
  await load?.stop();
  await stack?.close();
}, 60_000);

interface ReplicaStatus {
  replica_id: string;
  ready: boolean;
  unready_reason?: string;
  model_digest: string;
  running: number;
}
interface Health {
  ready: boolean;
  model_ref?: string;
  replicas: ReplicaStatus[];
  metrics: { replicas_ready: number };
  reload?: {
    state: string;
    error: { replica_id: string; failed_step: string; message: string } | null;
    replicas: { replica_id: string; state: string; wall_ms?: number }[];
  };
}

const health = (): Promise<Health> => poolHealth<Health>(stack);

const digestOf = (ref: string): string => modelDigest(stack, ref);

let load: SteadyLoad | undefined;

/** POST reload and follow it under load; returns the final health and the wall time. */
async function reloadUnderLoad(
  to: string,
): Promise<{ h: Health; wallMs: number; failed: number; ok: number }> {
  const l = load as SteadyLoad;
  const before = l.mark();
  const started = Date.now();
  const res = await postJson(`${stack.restUrl}/v1/pools/${stack.poolId}/reload`, {
    new_model_ref: to,
    drain_deadline_ms: 10_000,
    replica_deadline_ms: 30_000,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  let h = await health();
  let minServing = REPLICAS;
  let minUp = REPLICAS;
  while (h.reload?.state === 'running') {
    expect(Date.now() - started).toBeLessThan(90_000);
    minServing = Math.min(minServing, h.replicas.filter((r) => r.ready).length);
    // Up: serving, or Ready on the target and waiting for the old set to empty (ORCH-3007).
    const standby = h.replicas.filter((r) => r.unready_reason?.includes('standby')).length;
    minUp = Math.min(minUp, h.replicas.filter((r) => r.ready).length + standby);
    await sleep(100);
    h = await health();
  }
  // Clients switch to the pool's model once they see the outcome (the old ref stays answered
  // for a grace period, so this is not a race).
  if (h.model_ref) l.modelRef = h.model_ref;
  const wallMs = Date.now() - started;
  const after = l.mark();
  const perReplica = (h.reload?.replicas ?? []).map(
    (r) => `${r.replica_id} ${r.state} ${r.wall_ms ?? '-'} ms`,
  );
  say(
    `reload → ${to}: ${h.reload?.state} in ${wallMs} ms; per replica: ${perReplica.join(', ')}; ` +
      `tasks during the reload: ${after.ok - before.ok} ok, ${after.failed - before.failed} failed; ` +
      `fewest replicas up at once: ${minUp} (serving: ${minServing})`,
  );
  // ORCH-3031: one replica out at a time, so with 3 replicas at least 2 are up throughout.
  expect(minUp).toBeGreaterThanOrEqual(REPLICAS - 1);
  expect(minServing).toBeGreaterThanOrEqual(1);
  return { h, wallMs, failed: after.failed - before.failed, ok: after.ok - before.ok };
}

describe('ORCH-2101/ORCH-2102/ORCH-3031/ORCH-3033: pool lifecycle journey through the real stack', () => {
  it('ORCH-2103: three supervised replicas Ready on model A; a steady stream of tasks flows', async () => {
    const h = await health();
    expect(h.replicas.map((r) => r.ready)).toEqual([true, true, true]);
    expect(h.model_ref).toBe('sim-a');
    expect(new Set(h.replicas.map((r) => r.model_digest))).toEqual(new Set([digestOf('sim-a')]));
    load = new SteadyLoad(stack.url, 3, 'sim-a');
    await sleep(1500);
    expect(load.ok).toBeGreaterThan(0);
    expect(load.failures).toEqual([]);
  }, 60_000);

  it('ORCH-2101: draining one replica: nothing dispatched to it after the drain, no error; undrain gives it back', async () => {
    const l = load as SteadyLoad;
    const victim = stack.replicaId(0);
    const before = l.mark();
    const res = await postJson(`${stack.restUrl}/v1/pools/${stack.poolId}/drain`, {
      deadline_ms: 10_000,
      replica_id: victim,
    });
    expect(res.status).toBe(202);
    // Once its running lease (if any) finished, the started count of the victim must not move.
    let h = await health();
    for (
      let i = 0;
      i < 100 &&
      !h.replicas.find((r) => r.replica_id === victim)?.unready_reason?.startsWith('Drained');
      i++
    ) {
      await sleep(100);
      h = await health();
    }
    expect(h.replicas.find((r) => r.replica_id === victim)?.unready_reason).toMatch(/^Drained/);
    const startedAtDrain = (await startedPerReplica(stack.restUrl)).get(victim) ?? 0;
    const othersAtDrain = await startedPerReplica(stack.restUrl);
    await sleep(2000);
    const later = await startedPerReplica(stack.restUrl);
    expect(later.get(victim) ?? 0).toBe(startedAtDrain);
    const othersGrew = [1, 2].some(
      (i) => (later.get(stack.replicaId(i)) ?? 0) > (othersAtDrain.get(stack.replicaId(i)) ?? 0),
    );
    expect(othersGrew).toBe(true);
    const caps = (await getJson(`${stack.url}/v1/capabilities`)).body as {
      engines: { slots: number }[];
    };
    expect(caps.engines[0]?.slots).toBe(2);
    const back = await postJson(`${stack.restUrl}/v1/pools/${stack.poolId}/undrain`, {
      replica_id: victim,
    });
    expect(back.status).toBe(202);
    expect((await health()).replicas.every((r) => r.ready)).toBe(true);
    const after = l.mark();
    expect(l.failures).toEqual([]);
    say(
      `drain of ${victim}: ${after.ok - before.ok} tasks ok meanwhile, ${after.failed - before.failed} failed`,
    );
  }, 60_000);

  it('ORCH-2102/ORCH-3031: reload to model B, one replica at a time under load: new digest on every replica, zero failed tasks', async () => {
    const { h, failed, ok } = await reloadUnderLoad('sim-b');
    expect(h.reload?.state).toBe('succeeded');
    expect(h.model_ref).toBe('sim-b');
    expect(h.replicas.map((r) => r.model_digest)).toEqual(Array(REPLICAS).fill(digestOf('sim-b')));
    expect(h.replicas.every((r) => r.ready)).toBe(true);
    expect(digestOf('sim-b')).not.toBe(digestOf('sim-a'));
    expect(ok).toBeGreaterThan(0);
    expect(failed).toBe(0);
    expect((load as SteadyLoad).failures).toEqual([]);
  }, 120_000);

  it('ORCH-3033: reload to a model that fails its decode self-test rolls back by itself: old digest everywhere, zero failed tasks', async () => {
    const { h, failed } = await reloadUnderLoad('sim-bad');
    expect(h.reload?.state).toBe('rolled_back');
    expect(h.reload?.error).toMatchObject({
      replica_id: stack.replicaId(0),
      failed_step: 'decode',
    });
    expect(h.model_ref).toBe('sim-b');
    expect(h.replicas.map((r) => r.model_digest)).toEqual(Array(REPLICAS).fill(digestOf('sim-b')));
    expect(h.replicas.every((r) => r.ready)).toBe(true);
    expect(failed).toBe(0);
    await (load as SteadyLoad).stop();
    expect((load as SteadyLoad).failures).toEqual([]);
    say(
      `load total: ${(load as SteadyLoad).ok} tasks ok, ${(load as SteadyLoad).failures.length} failed`,
    );
  }, 120_000);
});
