// ORCH-3144: what the schemathesis run found, pinned as unit tests: X-Correlation-Id validated as
// the contract declares it on both paths (REST and ext_proc), and 405 with Allow for a method a
// declared path does not have.
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';
import { decodeRequestHeaders } from '../extproc/codec.js';
import { correlationGuard } from '../extproc/correlation-guard.js';
import { buildHttpApp } from './app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TASK = '11111111-1111-4111-8111-000000000001';

describe('ORCH-3144: contract hygiene of the REST routes', () => {
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

  it.each([
    ['empty', ''],
    ['129 characters', 'a'.repeat(129)],
    ['a space', 'abc def'],
  ])(
    'ORCH-3144: an X-Correlation-Id that is %s is a 400 INVALID_PARAMS echoing a minted id',
    async (_what, value) => {
      const res = await app.inject({
        method: 'GET',
        url: '/v1/capabilities',
        headers: { 'x-correlation-id': value },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_PARAMS' });
      expect(res.headers['x-correlation-id']).toMatch(UUID);
      expect(res.json().correlation_id).toBe(res.headers['x-correlation-id']);
    },
  );

  it('ORCH-2052: a contract-valid id of 128 characters is echoed', async () => {
    const id = 'A1._:-'.repeat(21) + 'ab';
    const res = await app.inject({
      method: 'GET',
      url: '/v1/capabilities',
      headers: { 'x-correlation-id': id },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-correlation-id']).toBe(id);
  });

  it.each([
    ['PUT', '/v1/tasks', 'POST'],
    ['GET', `/v1/tasks/${TASK}/cancel`, 'POST'],
    ['DELETE', `/v1/tasks/${TASK}/stream`, 'GET'],
    ['PATCH', '/v1/sessions/abc', 'DELETE, GET'],
    ['POST', '/v1/capabilities', 'GET'],
    ['OPTIONS', '/v1/pools/default/drain', 'POST'],
  ])('ORCH-3144: %s %s → 405 METHOD_NOT_ALLOWED with Allow: %s', async (method, url, allow) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-correlation-id': 'c-405' },
    });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.headers['x-correlation-id']).toBe('c-405');
    expect(res.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED', retriable: false });
  });

  it('ORCH-3144: a session id that is not a UUID is 400 on GET and DELETE (DELETE was 204)', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/v1/sessions/null%2Cnull' });
      expect(res.statusCode, method).toBe(400);
      expect(res.json()).toMatchObject({ code: 'INVALID_PARAMS' });
    }
    const unknown = '33333333-3333-4333-8333-333333333333';
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/sessions/${unknown}` })).statusCode,
    ).toBe(204);
  });

  it('ORCH-3144: a path no document declares stays 404 NOT_FOUND', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers.allow).toBeUndefined();
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('ORCH-3144: X-Correlation-Id on the ext_proc routes', () => {
  const decode = (value: string | undefined) =>
    decodeRequestHeaders({
      headers: {
        headers: [
          { key: ':method', value: 'GET' },
          { key: ':path', value: `/v1/tasks/${TASK}/stream` },
          ...(value === undefined ? [] : [{ key: 'x-correlation-id', value }]),
        ],
      },
    });

  it('ORCH-3144: valid ids are kept, invalid ones replaced by a minted id and refused before the placer', async () => {
    expect(decode('c-1').correlationId).toBe('c-1');
    expect(decode('c-1').correlationRefusal).toBeUndefined();
    expect(decode(undefined).correlationId).toMatch(UUID);
    const bad = decode('');
    expect(bad.correlationId).toMatch(UUID);
    let reached = false;
    const guarded = correlationGuard({
      decide: () => {
        reached = true;
        return Promise.resolve({ kind: 'route', setHeaders: {} });
      },
    });
    await expect(guarded.decide(bad, new AbortController().signal)).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    });
    expect(reached).toBe(false);
    await guarded.decide(decode('c-2'), new AbortController().signal);
    expect(reached).toBe(true);
  });
});
