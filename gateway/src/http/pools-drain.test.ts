import { validateResponse } from '@llama-orch/contracts';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlacementRequest } from '../extproc/handler.js';
import { createHarness } from '../../test/support/harness.js';
import { taskRequest } from '../../test/support/sidecar-messages.js';
import type { FakeControlCall, Harness } from '../../test/support/harness.js';
import type { AdminAuthOptions } from './admin-auth.js';
import { buildHttpApp } from './app.js';

const taskId = (n: number) => `11111111-1111-4111-8111-${String(n).padStart(12, '0')}`;
const hdrs = (h: object) => h as Record<string, string>;
const settle = () => new Promise((r) => setTimeout(r, 5));

function submit(h: Harness, id: string): Promise<unknown> {
  return h.tasks.submit(
    taskRequest({
      task_id: id,
      session_id: '22222222-2222-4222-8222-222222222222',
      max_tokens: 16,
    }),
    'default',
    'corr-1',
  );
}

const stream = (id: string): PlacementRequest => ({
  method: 'GET',
  path: `/v1/tasks/${id}/stream`,
  taskId: id,
  correlationId: 'corr-2',
  headers: {},
});

function accept(call: FakeControlCall, index: number): string {
  const assign = call.commands('assign')[index];
  if (!assign?.task) throw new Error('no assign');
  const lease = { leaseId: assign.leaseId, taskId: assign.task.taskId };
  call.push({
    msg: { $case: 'lease', value: { ...lease, event: { $case: 'accepted', value: {} } } },
  });
  call.push({
    msg: { $case: 'lease', value: { ...lease, event: { $case: 'started', value: {} } } },
  });
  return assign.leaseId;
}

describe('ORCH-2101/ORCH-3035: POST /v1/pools/{id}/drain (fastify inject)', () => {
  let h: Harness;
  let app: FastifyInstance;
  const build = (admin?: AdminAuthOptions): FastifyInstance => {
    h = createHarness();
    app = buildHttpApp({
      tasks: h.tasks,
      pools: h.pools,
      metrics: h.metrics,
      ...(admin ? { admin } : {}),
    });
    return app;
  };
  afterEach(async () => {
    await app.close();
    h.close();
  });
  const drain = (body: unknown, headers: Record<string, string> = {}, pool = 'pool-a') =>
    app.inject({
      method: 'POST',
      url: `/v1/pools/${pool}/drain`,
      payload: body as object,
      headers,
    });

  it('ORCH-3035: with an admin token configured, no bearer → 401, wrong token → 403, right token → 202 (all contract-valid)', async () => {
    build({ host: '0.0.0.0', tokens: ['s3cret'] });
    const none = await drain({ deadline_ms: 1000 });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(validateResponse('drainPool', 401, none.json(), hdrs(none.headers)).issues).toEqual([]);
    const wrong = await drain({ deadline_ms: 1000 }, { authorization: 'Bearer nope' });
    expect(wrong.statusCode).toBe(403);
    expect(validateResponse('drainPool', 403, wrong.json(), hdrs(wrong.headers)).issues).toEqual(
      [],
    );
    const health = await app.inject({ method: 'GET', url: '/v1/pools/pool-a/health' });
    expect(health.statusCode).toBe(401);
    const viaKey = await app.inject({
      method: 'GET',
      url: '/v1/replicasets',
      headers: { 'x-api-key': 's3cret' },
    });
    expect(viaKey.statusCode).toBe(200);
    const ok = await drain({ deadline_ms: 1000 }, { authorization: 'Bearer s3cret' });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ pool_id: 'pool-a', action: 'drain' });
    expect(validateResponse('drainPool', 202, ok.json(), hdrs(ok.headers)).issues).toEqual([]);
    // Task endpoints are not control plane.
    const caps = await app.inject({ method: 'GET', url: '/v1/capabilities' });
    expect(caps.statusCode).toBe(200);
  });

  it('ORCH-3035: a non-loopback bind without any admin credential refuses the control plane (403)', async () => {
    build({ host: '0.0.0.0', tokens: [] });
    const r = await drain({ deadline_ms: 0 }, { authorization: 'Bearer anything' });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ code: 'FORBIDDEN' });
    const health = await app.inject({ method: 'GET', url: '/v1/pools/pool-a/health' });
    expect(health.statusCode).toBe(403);
  });

  it('ORCH-2101: unknown pool → 404, bad body → 400, both contract-valid', async () => {
    build();
    const missing = await drain({ deadline_ms: 10 }, {}, 'nope');
    expect(missing.statusCode).toBe(404);
    expect(
      validateResponse('drainPool', 404, missing.json(), hdrs(missing.headers)).issues,
    ).toEqual([]);
    const bad = await drain({ deadline_ms: -1, extra: true });
    expect(bad.statusCode).toBe(400);
    expect(validateResponse('drainPool', 400, bad.json(), hdrs(bad.headers)).issues).toEqual([]);
  });

  it('ORCH-2101/ORCH-2103: drain fails the queued task, lets the running one run, cancels it at the deadline; health shows Draining → Drained', async () => {
    build();
    const call = h.connect({}, 1);
    submit(h, taskId(1));
    const first = h.director.decide(stream(taskId(1)), new AbortController().signal);
    await settle();
    const leaseId = accept(call, 0);
    await expect(first).resolves.toMatchObject({ kind: 'route' });
    submit(h, taskId(2));
    const second = h.director.decide(stream(taskId(2)), new AbortController().signal);
    await settle();
    expect(call.commands('assign')).toHaveLength(1);

    const res = await drain({ deadline_ms: 1000 });
    expect(res.statusCode).toBe(202);
    await expect(second).resolves.toMatchObject({ kind: 'respond', status: 200 });
    expect(h.core.task(taskId(2))?.state).toBe('failed');
    expect(h.core.task(taskId(1))?.state).toBe('running');
    expect(call.commands('drain')).toEqual([{ deadlineMs: 1000 }]);

    const health = await app.inject({ method: 'GET', url: '/v1/pools/pool-a/health' });
    expect(
      validateResponse('getPoolHealth', 200, health.json(), hdrs(health.headers)).issues,
    ).toEqual([]);
    expect(health.json()).toMatchObject({ draining: true, ready: false });
    expect(health.json().replicas[0]).toMatchObject({ ready: false });
    expect(health.json().replicas[0].unready_reason).toMatch(/^Draining: 1 running lease/);

    // A fresh Ready heartbeat neither revives the replica nor lets new work in.
    call.push({
      msg: {
        $case: 'heartbeat',
        value: {
          ready: true,
          unreadyReason: '',
          slotsFree: 1,
          running: 0,
          waiting: 0,
          kvUsageRatio: 0,
        },
      },
    });
    await expect(submit(h, taskId(3))).rejects.toThrow(/./);

    h.director.tick();
    expect(call.commands('cancel')).toEqual([]);
    h.now.t += 1000;
    h.director.tick();
    h.director.tick();
    expect(call.commands('cancel')).toEqual([{ leaseId, taskId: taskId(1), reason: 'drain' }]);
    call.push({
      msg: {
        $case: 'lease',
        value: {
          leaseId,
          taskId: taskId(1),
          event: {
            $case: 'finished',
            value: {
              reason: 'canceled',
              errorCode: '',
              tokensIn: 1,
              tokensOut: 1,
              firstTokenMs: 1,
              decodeTimeMs: 1,
            },
          },
        },
      },
    });
    expect(h.core.task(taskId(1))?.state).toBe('canceled');
    const after = await app.inject({ method: 'GET', url: '/v1/pools/pool-a/health' });
    expect(after.json().replicas[0].unready_reason).toMatch(/^Drained/);
    expect(await h.metrics.registry.metrics()).toMatch(
      /tasks_canceled_total\{[^}]*reason="drain"\} 1/,
    );
  });

  it('ORCH-3095/ORCH-2101: capabilities follow live registrations: slots drop when a replica leaves and when its pool drains', async () => {
    build();
    const caps = async () =>
      (
        (await app.inject({ method: 'GET', url: '/v1/capabilities' })).json() as {
          engines: { slots: number }[];
        }
      ).engines[0]?.slots;
    const one = h.connect({ replicaId: 'r1' }, 1);
    h.connect({ replicaId: 'r2', advertiseAddress: '127.0.0.1:8101' }, 1);
    expect(await caps()).toBe(2);
    one.emit('end');
    expect(await caps()).toBe(1);
    expect((await drain({ deadline_ms: 0 })).statusCode).toBe(202);
    expect(await caps()).toBe(0);
  });
});
