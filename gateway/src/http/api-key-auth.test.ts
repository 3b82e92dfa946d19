// ORCH-3035 on the REST routes (fastify inject): tenants from keys, 401/403 envelopes that match
// the contract, the control plane for operators only, /metrics exempt, cancel by owner only.
import { validateResponse } from '@llama-orch/contracts';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyRing, KeySecret } from '../auth/api-keys.js';
import { AuthPolicy } from '../auth/policy.js';
import { MODEL_REF, createHarness } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';
import { buildHttpApp } from './app.js';

/** The server secret of these tests (ORCH-3140): key digests are HMACs under it. */
const SECRET = KeySecret.fromText('test-secret-0123456789abcdef0123456789', 'test');
const hmac = (k: string): string => SECRET.digestHex(k);

const TENANTS = [
  { id: 'ops', apiKeyHmac: [hmac('ops-key')], operator: true },
  { id: 'acme', apiKeyHmac: [hmac('acme-key')] },
  { id: 'beta', apiKeyHmac: [hmac('beta-key')] },
];
const hdrs = (h: object) => h as Record<string, string>;
let n = 0;
const task = () => ({
  task_id: `33333333-3333-4333-8333-${String(++n).padStart(12, '0')}`,
  session_id: '22222222-2222-4222-8222-222222222222',
  workload: 'completion',
  model_ref: MODEL_REF,
  engine: 'llamacpp',
  ctx: 512,
  priority: 'interactive',
  max_tokens: 16,
  deadline_ms: 0,
  prompt: 'hello',
});

describe('ORCH-3035: API-key auth on the REST routes (auth.required)', () => {
  let h: Harness;
  let app: FastifyInstance;
  beforeEach(() => {
    h = createHarness();
    h.connect({}, 0);
    const auth = new AuthPolicy({
      required: true,
      keys: new KeyRing(SECRET, TENANTS),
      host: '0.0.0.0',
    });
    app = buildHttpApp({
      tasks: h.tasks,
      pools: h.pools,
      metrics: h.metrics,
      auth,
      taskTenant: (id) => h.core.task(id)?.tenant,
    });
  });
  afterEach(async () => {
    await app.close();
    h.close();
  });
  const submit = (headers: Record<string, string>, payload: object = task()) =>
    app.inject({ method: 'POST', url: '/v1/tasks', payload, headers });

  it('ORCH-3035: no key → 401, malformed → 401, unknown → 403, all contract-valid ErrorEnvelopes', async () => {
    for (const [headers, status, code] of [
      [{}, 401, 'UNAUTHORIZED'],
      [{ authorization: 'Basic Zm9vOmJhcg==' }, 401, 'UNAUTHORIZED'],
      [{ 'x-api-key': 'wrong' }, 403, 'FORBIDDEN'],
      [{ authorization: 'Bearer wrong' }, 403, 'FORBIDDEN'],
    ] as const) {
      const res = await submit({ ...headers, 'x-correlation-id': 'auth-1' });
      expect(res.statusCode, JSON.stringify(headers)).toBe(status);
      expect(res.json()).toMatchObject({ code, retriable: false, correlation_id: 'auth-1' });
      expect(res.body).not.toContain('wrong');
      expect(validateResponse('createTask', status, res.json(), hdrs(res.headers)).issues).toEqual(
        [],
      );
    }
    for (const url of ['/v1/capabilities', '/v1/sessions/22222222-2222-4222-8222-222222222222']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    expect((await app.inject({ method: 'POST', url: '/v1/tasks/x/cancel' })).statusCode).toBe(401);
  });

  it('ORCH-3035/ORCH-3075: the task belongs to the tenant of the key (X-API-Key or Bearer)', async () => {
    const a = task();
    expect((await submit({ 'x-api-key': 'acme-key' }, a)).statusCode).toBe(202);
    const b = task();
    expect((await submit({ authorization: 'Bearer beta-key' }, b)).statusCode).toBe(202);
    expect(h.core.task(a.task_id)?.tenant).toBe('acme');
    expect(h.core.task(b.task_id)?.tenant).toBe('beta');
  });

  it("ORCH-3035: cancel with another tenant's key → 403; the owner's or an operator's → 204", async () => {
    const a = task();
    await submit({ 'x-api-key': 'acme-key' }, a);
    const cancel = (key: string) =>
      app.inject({
        method: 'POST',
        url: `/v1/tasks/${a.task_id}/cancel`,
        headers: { 'x-api-key': key },
      });
    const foreign = await cancel('beta-key');
    expect(foreign.statusCode).toBe(403);
    expect(
      validateResponse('cancelTask', 403, foreign.json(), hdrs(foreign.headers)).issues,
    ).toEqual([]);
    expect(h.core.task(a.task_id)?.state).toBe('queued');
    expect((await cancel('acme-key')).statusCode).toBe(204);
    const other = task();
    await submit({ 'x-api-key': 'beta-key' }, other);
    const byOps = await app.inject({
      method: 'POST',
      url: `/v1/tasks/${other.task_id}/cancel`,
      headers: { 'x-api-key': 'ops-key' },
    });
    expect(byOps.statusCode).toBe(204);
  });

  it('ORCH-3035: control plane — tenant key 403, operator key 200; /metrics needs no key', async () => {
    const health = (headers: Record<string, string>) =>
      app.inject({ method: 'GET', url: '/v1/pools/pool-a/health', headers });
    expect((await health({})).statusCode).toBe(401);
    const tenant = await health({ 'x-api-key': 'acme-key' });
    expect(tenant.statusCode).toBe(403);
    expect(
      validateResponse('getPoolHealth', 403, tenant.json(), hdrs(tenant.headers)).issues,
    ).toEqual([]);
    expect((await health({ 'x-api-key': 'ops-key' })).statusCode).toBe(200);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
  });

  it('ORCH-3028: a refused task submission counts in tasks_rejected_total{reason}', async () => {
    await submit({});
    await submit({ 'x-api-key': 'wrong' });
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(
      /tasks_rejected_total\{engine="unknown",reason="UNAUTHORIZED",api="orchqueue"\} 1/,
    );
    expect(text).toMatch(
      /tasks_rejected_total\{engine="unknown",reason="FORBIDDEN",api="orchqueue"\} 1/,
    );
  });
});
