// ORCH-3035/2004/2005 on the session routes (fastify inject): a session belongs to the tenant whose
// task created it. Another tenant's key finds nothing under that id (404, the same answer as for an
// id nobody holds), deletes nothing (204, as for any unknown id), and a task of its own naming the
// id starts a separate session. Operator keys see any tenant's session.
import { validateResponse } from '@llama-orch/contracts';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyRing, KeySecret } from '../auth/api-keys.js';
import { AuthPolicy } from '../auth/policy.js';
import { taskRequest } from '../../test/support/sidecar-messages.js';
import { createHarness } from '../../test/support/harness.js';
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
const SESSION = '22222222-2222-4222-8222-222222222222';
const UNKNOWN = '44444444-4444-4444-8444-444444444444';
const task = () => taskRequest({ session_id: SESSION, max_tokens: 16, prompt: 'hello' });

function setup(required: boolean): { h: Harness; app: FastifyInstance } {
  const h = createHarness();
  h.connect({}, 0); // no free slot: tasks stay queued, sessions exist from admission on
  const auth = new AuthPolicy({
    required,
    keys: new KeyRing(SECRET, TENANTS),
    host: required ? '0.0.0.0' : '127.0.0.1',
  });
  const app = buildHttpApp({
    tasks: h.tasks,
    pools: h.pools,
    metrics: h.metrics,
    auth,
    taskTenant: (id) => h.core.task(id)?.tenant,
  });
  return { h, app };
}

describe('ORCH-3035: sessions belong to a tenant (auth.required)', () => {
  let h: Harness;
  let app: FastifyInstance;
  beforeEach(() => ({ h, app } = setup(true)));
  afterEach(async () => {
    await app.close();
    h.close();
  });
  const as = (key: string) => ({ 'x-api-key': key, 'x-correlation-id': 'c-s' });
  const submit = (key: string, payload: object = task()) =>
    app.inject({ method: 'POST', url: '/v1/tasks', payload, headers: as(key) });
  const get = (key: string, id = SESSION) =>
    app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: as(key) });
  const del = (key: string, id = SESSION) =>
    app.inject({ method: 'DELETE', url: `/v1/sessions/${id}`, headers: as(key) });

  it("ORCH-3035/ORCH-2004: another tenant's session is 404, exactly as an id nobody holds", async () => {
    expect((await submit('acme-key')).statusCode).toBe(202);
    const own = await get('acme-key');
    expect(own.statusCode).toBe(200);
    expect(validateResponse('getSession', 200, own.json()).issues).toEqual([]);
    const foreign = await get('beta-key');
    const unknown = await get('beta-key', UNKNOWN);
    expect([foreign.statusCode, unknown.statusCode]).toEqual([404, 404]);
    expect(validateResponse('getSession', 404, foreign.json()).issues).toEqual([]);
    // Nothing tells the two apart but the id echoed in the message.
    expect(foreign.body.replace(SESSION, 'ID')).toBe(unknown.body.replace(UNKNOWN, 'ID'));
    expect(foreign.body).not.toContain('acme');
  });

  it("ORCH-3035/ORCH-2005: deleting another tenant's session is a 204 no-op; the owner's delete ends it", async () => {
    await submit('acme-key');
    expect((await del('beta-key')).statusCode).toBe(204);
    expect((await get('acme-key')).statusCode).toBe(200);
    expect(h.core.session('acme', SESSION)).toBeDefined();
    expect((await del('acme-key')).statusCode).toBe(204);
    expect((await get('acme-key')).statusCode).toBe(404);
    expect((await del('acme-key')).statusCode).toBe(204); // idempotent (ORCH-2005)
  });

  it("ORCH-3035/ORCH-3021: a task naming another tenant's session_id starts its own session", async () => {
    await submit('acme-key');
    expect((await submit('beta-key')).statusCode).toBe(202);
    const acme = h.core.session('acme', SESSION);
    const beta = h.core.session('beta', SESSION);
    expect(acme?.tenant).toBe('acme');
    expect(beta?.tenant).toBe('beta');
    expect(beta?.kvWarmth).toBe(false);
    // Each key sees its own; deleting beta's leaves acme's.
    expect((await get('beta-key')).statusCode).toBe(200);
    expect((await del('beta-key')).statusCode).toBe(204);
    expect(h.core.session('beta', SESSION)).toBeUndefined();
    expect(h.core.session('acme', SESSION)).toBeDefined();
  });

  it("ORCH-3035: an operator key reads and deletes any tenant's session", async () => {
    await submit('beta-key');
    const read = await get('ops-key');
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ session_id: SESSION, turns: 0 });
    expect((await get('ops-key', UNKNOWN)).statusCode).toBe(404);
    expect((await del('ops-key')).statusCode).toBe(204);
    expect(h.core.session('beta', SESSION)).toBeUndefined();
  });
});

describe('ORCH-3035: sessions with auth off on loopback', () => {
  it('ORCH-3035: a keyless caller acts as tenant default and, like for tasks, may read any session', async () => {
    const { h, app } = setup(false);
    try {
      const keyed = await app.inject({
        method: 'POST',
        url: '/v1/tasks',
        payload: task(),
        headers: { 'x-api-key': 'acme-key' },
      });
      expect(keyed.statusCode).toBe(202);
      expect((await app.inject({ method: 'GET', url: `/v1/sessions/${SESSION}` })).statusCode).toBe(
        200,
      );
      // A tenant key presented on a loopback stack is still confined to its tenant.
      const beta = await app.inject({
        method: 'GET',
        url: `/v1/sessions/${SESSION}`,
        headers: { 'x-api-key': 'beta-key' },
      });
      expect(beta.statusCode).toBe(404);
      const anon = await app.inject({ method: 'POST', url: '/v1/tasks', payload: task() });
      expect(anon.statusCode).toBe(202);
      expect(h.core.session('default', SESSION)?.tenant).toBe('default');
      expect(h.core.session('acme', SESSION)?.tenant).toBe('acme');
    } finally {
      await app.close();
      h.close();
    }
  });
});
