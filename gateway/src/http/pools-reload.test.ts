import { validateResponse } from '@llama-orch/contracts';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReloadTarget } from '../rollout/reload-catalog.js';
import { FakeSidecar, digestOf, runTask } from '../../test/support/sidecar-messages.js';
import { MODEL_REF, createHarness } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';
import { buildHttpApp } from './app.js';

const CATALOG: ReloadTarget[] = [{ ref: 'model-b', digest: `sha256:${digestOf('model-b')}` }];
const hdrs = (h: object) => h as Record<string, string>;

describe('ORCH-2102/ORCH-2101: reload, replica drain and undrain over REST (fastify inject)', () => {
  let h: Harness;
  let app: FastifyInstance;
  let sidecars: FakeSidecar[];
  const build = (): void => {
    h = createHarness(200, undefined, {
      catalog: CATALOG,
      timings: { pollMs: 2, drainDeadlineMs: 100, replicaDeadlineMs: 2000 },
    });
    sidecars = [0, 1].map(
      (i) =>
        new FakeSidecar(h, { replicaId: `r${i + 1}`, advertiseAddress: `127.0.0.1:${8100 + i}` }),
    );
    app = buildHttpApp({ tasks: h.tasks, pools: h.pools, metrics: h.metrics });
  };
  afterEach(async () => {
    await app.close();
    h.close();
  });
  const post = (path: string, body?: object) =>
    app.inject({ method: 'POST', url: path, ...(body ? { payload: body } : {}) });
  const health = async () =>
    (await app.inject({ method: 'GET', url: '/v1/pools/pool-a/health' })).json();

  it('ORCH-2102: 202 with a reload id, 400 for an unconfigured ref or bad body, 404 for an unknown pool, 429 while running, all contract-valid', async () => {
    build();
    for (const s of sidecars) s.behaviour = () => ({ kind: 'silent' });
    const bad = await post('/v1/pools/pool-a/reload', { new_model_ref: 'hf:nowhere' });
    expect(bad.statusCode).toBe(400);
    expect(validateResponse('reloadPool', 400, bad.json(), hdrs(bad.headers)).issues).toEqual([]);
    const malformed = await post('/v1/pools/pool-a/reload', { new_model_ref: 'model-b', extra: 1 });
    expect(malformed.statusCode).toBe(400);
    const missing = await post('/v1/pools/gpu-z/reload', { new_model_ref: 'model-b' });
    expect(missing.statusCode).toBe(404);
    expect(
      validateResponse('reloadPool', 404, missing.json(), hdrs(missing.headers)).issues,
    ).toEqual([]);
    const ok = await post('/v1/pools/pool-a/reload', {
      new_model_ref: 'model-b',
      replica_deadline_ms: 1000,
    });
    expect(ok.statusCode).toBe(202);
    expect(validateResponse('reloadPool', 202, ok.json(), hdrs(ok.headers)).issues).toEqual([]);
    const again = await post('/v1/pools/pool-a/reload', { new_model_ref: MODEL_REF });
    expect(again.statusCode).toBe(429);
    expect(again.json()).toMatchObject({
      code: 'ADMISSION_REJECT',
      policy_label: 'reload_in_progress',
    });
    expect(validateResponse('reloadPool', 429, again.json(), hdrs(again.headers)).issues).toEqual(
      [],
    );
    const undrain = await post('/v1/pools/pool-a/undrain');
    expect(undrain.statusCode).toBe(429);
    expect(
      validateResponse('undrainPool', 429, undrain.json(), hdrs(undrain.headers)).issues,
    ).toEqual([]);
    const running = await health();
    expect(running.reload).toMatchObject({
      reload_id: ok.json().reload_id,
      state: 'running',
      phase: 'reloading',
    });
    expect(validateResponse('getPoolHealth', 200, running).issues).toEqual([]);
  });

  it('ORCH-2101: a drained replica gets nothing while the other serves; undrain gives it back; pool undrain sends Drain{resume}', async () => {
    build();
    const [r1, r2] = sidecars as [FakeSidecar, FakeSidecar];
    const drain = await post('/v1/pools/pool-a/drain', { deadline_ms: 1000, replica_id: 'r1' });
    expect(drain.statusCode).toBe(202);
    expect(validateResponse('drainPool', 202, drain.json(), hdrs(drain.headers)).issues).toEqual(
      [],
    );
    expect(
      (await post('/v1/pools/pool-a/drain', { deadline_ms: 1, replica_id: 'ghost' })).statusCode,
    ).toBe(404);
    const during = await health();
    expect(
      during.replicas.find((r: { replica_id: string }) => r.replica_id === 'r1').unready_reason,
    ).toMatch(/^Drained/);
    expect(during.metrics.replicas_ready).toBe(1);
    // ORCH-3095: capabilities follow: the drained replica offers no slot.
    expect(h.tasks.capabilities().engines[0]?.slots).toBe(1);
    expect(validateResponse('getPoolHealth', 200, during).issues).toEqual([]);
    for (let i = 0; i < 4; i++) expect(await runTask(h, MODEL_REF)).toBe('route');
    expect([r1.assigned.length, r2.assigned.length]).toEqual([0, 4]);
    const back = await post('/v1/pools/pool-a/undrain', { replica_id: 'r1' });
    expect(back.statusCode).toBe(202);
    expect(validateResponse('undrainPool', 202, back.json(), hdrs(back.headers)).issues).toEqual(
      [],
    );
    expect((await health()).metrics.replicas_ready).toBe(2);
    expect(h.tasks.capabilities().engines[0]?.slots).toBe(2);
    for (let i = 0; i < 4; i++) expect(await runTask(h, MODEL_REF)).toBe('route');
    expect(r1.assigned.length).toBeGreaterThan(0);
    // Whole pool: drain (sidecars told), undrain (sidecars told to resume), Ready again.
    expect((await post('/v1/pools/pool-a/drain', { deadline_ms: 0 })).statusCode).toBe(202);
    expect((await health()).metrics.replicas_ready).toBe(0);
    expect((await post('/v1/pools/pool-a/undrain')).statusCode).toBe(202);
    expect(r1.call.commands('drain').at(-1)).toEqual({ deadlineMs: 0, resume: true });
    expect((await health()).draining).toBe(false);
    expect((await health()).metrics.replicas_ready).toBe(2);
    expect((await post('/v1/pools/gpu-z/undrain')).statusCode).toBe(404);
  });
});
