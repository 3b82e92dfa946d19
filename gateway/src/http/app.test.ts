import { validateResponse } from '@llama-orch/contracts';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MODEL_REF, createHarness } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';
import { buildHttpApp } from './app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function body(taskId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_id: taskId,
    session_id: '22222222-2222-4222-8222-222222222222',
    workload: 'completion',
    model_ref: MODEL_REF,
    engine: 'llamacpp',
    ctx: 512,
    priority: 'interactive',
    max_tokens: 16,
    deadline_ms: 0,
    prompt: 'hello',
    ...overrides,
  };
}

const hdrs = (h: object) => h as Record<string, string>;
const taskId = (n: number) => `11111111-1111-4111-8111-${String(n).padStart(12, '0')}`;

describe('REST app (fastify inject, fresh server per test)', () => {
  let h: Harness;
  let app: FastifyInstance;
  beforeEach(() => {
    h = createHarness();
    app = buildHttpApp({ tasks: h.tasks, pools: h.pools, metrics: h.metrics });
  });
  afterEach(async () => {
    await app.close();
    h.close();
  });

  it('ORCH-2001/ORCH-2052: POST /v1/tasks → 202 AdmissionResponse, correlation id echoed', async () => {
    h.connect({}, 0);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/tasks',
      payload: body(taskId(1)),
      headers: { 'x-correlation-id': 'abc-123' },
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers['x-correlation-id']).toBe('abc-123');
    expect(validateResponse('createTask', 202, res.json(), hdrs(res.headers)).issues).toEqual([]);
    expect(res.json()).toMatchObject({ task_id: taskId(1), queue_position: 0 });
  });

  it('ORCH-2052: a UUIDv4 correlation id is generated when absent', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/capabilities' });
    expect(res.headers['x-correlation-id']).toMatch(UUID);
  });

  it.each([
    ['malformed JSON', '{"task_id":', 'application/json'],
    ['missing field', JSON.stringify({ task_id: taskId(2) }), 'application/json'],
    ['unknown field', JSON.stringify({ ...body(taskId(3)), bogus: 1 }), 'application/json'],
  ])('ORCH-2006: %s → 400 INVALID_PARAMS envelope, no task created', async (_n, payload, type) => {
    h.connect({}, 0);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/tasks',
      payload,
      headers: { 'content-type': type },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_PARAMS', retriable: false });
    expect(validateResponse('createTask', 400, res.json(), hdrs(res.headers)).issues).toEqual([]);
    expect(res.headers['x-correlation-id']).toBeDefined();
    expect(h.core.snapshot().liveTasks).toBe(0);
  });

  it('ORCH-3014: ctx over the pool limit → 400 before enqueue', async () => {
    h.connect({}, 0);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/tasks',
      payload: body(taskId(4), { ctx: 999_999 }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_PARAMS');
    expect(h.core.snapshot().liveTasks).toBe(0);
  });

  it('ORCH-3028: a body off the contract → 400 and counts in tasks_rejected_total{reason}', async () => {
    h.connect({}, 0);
    const { prompt: _omitted, ...missing } = body(taskId(9));
    const res = await app.inject({ method: 'POST', url: '/v1/tasks', payload: missing });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_PARAMS');
    const odd = await app.inject({
      method: 'POST',
      url: '/v1/tasks',
      payload: body(taskId(10), { engine: 'nope' }),
    });
    expect(odd.statusCode).toBe(400);
    expect(h.core.snapshot().liveTasks).toBe(0);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /tasks_rejected_total\{engine="llamacpp",reason="INVALID_PARAMS",api="orchqueue"\} 1/,
    );
    expect(metrics).toMatch(
      /tasks_rejected_total\{engine="unknown",reason="INVALID_PARAMS",api="orchqueue"\} 1/,
    );
  });

  it('ORCH-3028: fastify-level refusals (bad JSON, wrong content type, too large) count in tasks_rejected_total', async () => {
    const post = (payload: string, type: string) =>
      app.inject({ method: 'POST', url: '/v1/tasks', payload, headers: { 'content-type': type } });
    const cases = [
      await post('{"task_id":', 'application/json'),
      await post('task_id=1', 'application/x-www-form-urlencoded'),
      await post(JSON.stringify({ prompt: 'x'.repeat(9 * 1024 * 1024) }), 'application/json'),
    ];
    expect(cases.map((r) => [r.statusCode, r.json().code])).toEqual([
      [400, 'INVALID_PARAMS'],
      [400, 'INVALID_PARAMS'],
      [400, 'INVALID_PARAMS'],
    ]);
    // Other routes' fastify refusals are not task rejections.
    await app.inject({
      method: 'DELETE',
      url: '/v1/sessions/s1',
      payload: '{',
      headers: { 'content-type': 'application/json' },
    });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /tasks_rejected_total\{engine="unknown",reason="INVALID_PARAMS",api="orchqueue"\} 3\n/,
    );
  });

  it('ORCH-3024: duplicate task_id → 400', async () => {
    h.connect({}, 0);
    await app.inject({ method: 'POST', url: '/v1/tasks', payload: body(taskId(5)) });
    const res = await app.inject({ method: 'POST', url: '/v1/tasks', payload: body(taskId(5)) });
    expect(res.statusCode).toBe(400);
  });

  it('ORCH-2007: no replica → 503 typed envelope with retry hints', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/tasks', payload: body(taskId(6)) });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'POOL_UNAVAILABLE', retriable: true });
    expect(validateResponse('createTask', 503, res.json(), hdrs(res.headers)).issues).toEqual([]);
  });

  it('ORCH-2007: a full interactive queue → 429 with Retry-After and X-Backoff-Ms', async () => {
    h = createHarness(200, { interactive: { capacity: 1 } });
    await app.close();
    app = buildHttpApp({ tasks: h.tasks, pools: h.pools, metrics: h.metrics });
    h.connect({}, 0);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/tasks', payload: body(taskId(7)) })).statusCode,
    ).toBe(202);
    const res = await app.inject({ method: 'POST', url: '/v1/tasks', payload: body(taskId(8)) });
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['x-backoff-ms'])).toBeGreaterThan(0);
    expect(res.json().code).toBe('ADMISSION_REJECT');
    expect(validateResponse('createTask', 429, res.json(), hdrs(res.headers)).issues).toEqual([]);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(
      /tasks_rejected_total\{engine="llamacpp",reason="ADMISSION_REJECT",api="orchqueue"\} 1/,
    );
  });

  it('ORCH-2003: cancel ignores a body, even an empty chunked one without a content type', async () => {
    h.connect({}, 0);
    await app.inject({ method: 'POST', url: '/v1/tasks', payload: body(taskId(8)) });
    const chunked = await app.inject({
      method: 'POST',
      url: `/v1/tasks/${taskId(8)}/cancel`,
      headers: { 'transfer-encoding': 'chunked' },
      payload: '',
    });
    expect(chunked.statusCode).toBe(204);
    const withJson = await app.inject({
      method: 'POST',
      url: `/v1/tasks/${taskId(8)}/cancel`,
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(withJson.statusCode).toBe(204);
  });

  it('ORCH-2003: cancel → 204 (idempotent), unknown → 404', async () => {
    h.connect({}, 0);
    await app.inject({ method: 'POST', url: '/v1/tasks', payload: body(taskId(9)) });
    const first = await app.inject({ method: 'POST', url: `/v1/tasks/${taskId(9)}/cancel` });
    const again = await app.inject({ method: 'POST', url: `/v1/tasks/${taskId(9)}/cancel` });
    expect([first.statusCode, again.statusCode]).toEqual([204, 204]);
    expect(first.headers['x-correlation-id']).toBeUndefined();
    const unknown = await app.inject({ method: 'POST', url: `/v1/tasks/${taskId(99)}/cancel` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('NOT_FOUND');
    expect(
      validateResponse('cancelTask', 404, unknown.json(), hdrs(unknown.headers)).issues,
    ).toEqual([]);
  });

  it('ORCH-2004/ORCH-2005: sessions get and delete; unknown → 404', async () => {
    h.connect({}, 0);
    await app.inject({ method: 'POST', url: '/v1/tasks', payload: body(taskId(10)) });
    const sid = '22222222-2222-4222-8222-222222222222';
    const got = await app.inject({ method: 'GET', url: `/v1/sessions/${sid}` });
    expect(got.statusCode).toBe(200);
    expect(validateResponse('getSession', 200, got.json()).issues).toEqual([]);
    expect((await app.inject({ method: 'DELETE', url: `/v1/sessions/${sid}` })).statusCode).toBe(
      204,
    );
    expect((await app.inject({ method: 'GET', url: `/v1/sessions/${sid}` })).statusCode).toBe(404);
  });

  it('ORCH-3095: capabilities derive from live registrations; api_version is the OpenAPI version', async () => {
    h.connect({ engineVersion: 'b42-abc', slots: 1, ctxMax: 2048 });
    const res = await app.inject({ method: 'GET', url: '/v1/capabilities' });
    expect(res.statusCode).toBe(200);
    expect(validateResponse('getCapabilities', 200, res.json()).issues).toEqual([]);
    expect(res.json()).toMatchObject({
      api_version: '1.0.0',
      engines: [{ engine: 'llamacpp', engine_versions: ['b42-abc'], ctx_max: 2048, slots: 1 }],
    });
  });

  it('ORCH-3028: /metrics exposes the contract families', async () => {
    h.connect({}, 0);
    await app.inject({ method: 'POST', url: '/v1/tasks', payload: body(taskId(11)) });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    for (const name of [
      'tasks_enqueued_total',
      'queue_depth',
      'tokens_out_total',
      'latency_first_token_ms',
    ]) {
      expect(res.body).toContain(`# TYPE ${name}`);
    }
    expect(res.body).toMatch(
      /tasks_enqueued_total\{engine="llamacpp",engine_version="b1-test",pool_id="pool-a",priority="interactive",api="orchqueue"\} 1/,
    );
  });

  it('ORCH-2006: unknown route → 404 envelope', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('ORCH-2103: pool health reports replicas and queue state; unknown pool → 404', async () => {
    h.connect({}, 1);
    const res = await app.inject({ method: 'GET', url: '/v1/pools/pool-a/health' });
    expect(res.statusCode).toBe(200);
    expect(validateResponse('getPoolHealth', 200, res.json()).issues).toEqual([]);
    expect(res.json()).toMatchObject({
      pool_id: 'pool-a',
      ready: true,
      metrics: { replicas_ready: 1 },
    });
    const missing = await app.inject({ method: 'GET', url: '/v1/pools/nope/health' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });

  it('ORCH-2104: replica sets group identical replicas', async () => {
    h.connect({ replicaId: 'r1' }, 1);
    h.connect({ replicaId: 'r2', advertiseAddress: '127.0.0.1:8101' }, 1);
    h.connect(
      { replicaId: 'r3', engineVersion: 'b2-other', advertiseAddress: '127.0.0.1:8102' },
      1,
    );
    const res = await app.inject({ method: 'GET', url: '/v1/replicasets' });
    expect(validateResponse('listReplicaSets', 200, res.json()).issues).toEqual([]);
    const sets = res.json().replica_sets as { replicas: string[] }[];
    expect(sets.map((s) => s.replicas.sort())).toEqual(
      expect.arrayContaining([['r1', 'r2'], ['r3']]),
    );
  });
});
