// The provider-state hook used by Pact verification and BDD: off by default, loopback only,
// never through Envoy, and it drives the normal admission path.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../src/http/app.js';
import {
  TEST_HOOKS_ENV,
  TEST_HOOKS_PATH,
  isLoopbackAddress,
  testHookRoutes,
} from './support/test-hooks.js';
import { MODEL_REF, createHarness } from './support/harness.js';
import type { Harness } from './support/harness.js';

const template = {
  task_id: '33333333-3333-4333-8333-333333333333',
  session_id: '22222222-2222-4222-8222-222222222222',
  workload: 'completion',
  model_ref: MODEL_REF,
  engine: 'llamacpp',
  ctx: 512,
  priority: 'interactive',
  max_tokens: 4,
  deadline_ms: 0,
  prompt: 'hello',
};

describe('ORCH-5004: test-only provider-state hook', () => {
  let h: Harness | undefined;
  let app: FastifyInstance | undefined;
  const saved = { ...process.env };

  async function start(env: Record<string, string | undefined>, host = '127.0.0.1') {
    process.env = { ...saved, ...env };
    h = createHarness(200, {
      interactive: { capacity: 3, fullPolicy: 'reject' },
      batch: { capacity: 3, fullPolicy: 'drop-lru' },
    });
    h.connect();
    app = buildHttpApp({
      tasks: h.tasks,
      pools: h.pools,
      metrics: h.metrics,
      plugins: [testHookRoutes],
    });
    await app.listen({ host, port: 0 });
    process.env = saved;
    const a = app.server.address();
    return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }

  afterEach(async () => {
    process.env = saved;
    await app?.close();
    h?.close();
  });

  it('is absent (404) unless the env var is set', async () => {
    const url = await start({ [TEST_HOOKS_ENV]: undefined });
    const res = await fetch(url + TEST_HOOKS_PATH, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });

  it('is absent in NODE_ENV=production even with the env var', async () => {
    const url = await start({ [TEST_HOOKS_ENV]: '1', NODE_ENV: 'production' });
    const res = await fetch(url + TEST_HOOKS_PATH, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });

  it('refuses requests that carry Envoy/forwarding headers', async () => {
    const url = await start({ [TEST_HOOKS_ENV]: '1' });
    const res = await fetch(url + TEST_HOOKS_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.0.0.1' },
      body: JSON.stringify({ op: 'reset' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('FORBIDDEN');
  });

  it('refuses on a non-loopback bind (0.0.0.0)', async () => {
    const url = await start({ [TEST_HOOKS_ENV]: '1' }, '0.0.0.0');
    const res = await fetch(url + TEST_HOOKS_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'reset' }),
    });
    expect(res.status).toBe(403);
  });

  it('ORCH-3004: fill-queue admits until the bounded queue answers 429, reset cancels', async () => {
    const url = await start({ [TEST_HOOKS_ENV]: '1' });
    const post = async (body: object) => {
      const res = await fetch(url + TEST_HOOKS_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await post({ op: 'fill-queue', template })).toEqual({
      status: 200,
      body: { admitted: 3, code: 'ADMISSION_REJECT' },
    });
    expect(await post({ op: 'reset' })).toEqual({ status: 200, body: { canceled: 3 } });
    const admitted = await post({ op: 'admit', task: template });
    expect(admitted.status).toBe(200);
    expect(admitted.body.task_id).toBe(template.task_id);
    expect((await post({ op: 'nope' })).status).toBe(400);
  });

  it('ORCH-2101: the pool op drains and undrains a pool (provider states of the control plane)', async () => {
    const url = await start({ [TEST_HOOKS_ENV]: '1' });
    const post = (body: object) =>
      fetch(url + TEST_HOOKS_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ op: 'pool', pool_id: 'pool-a', action: 'drain' })).status).toBe(200);
    expect(h?.pools.health('pool-a').draining).toBe(true);
    expect((await post({ op: 'pool', pool_id: 'pool-a', action: 'undrain' })).status).toBe(200);
    expect(h?.pools.health('pool-a').draining).toBe(false);
    expect((await post({ op: 'pool', pool_id: 'pool-a', action: 'explode' })).status).toBe(400);
    expect((await post({ op: 'pool', pool_id: 'nope', action: 'drain' })).status).toBe(404);
  });

  it('recognises loopback addresses only', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].every(isLoopbackAddress)).toBe(
      true,
    );
    expect(['0.0.0.0', '10.0.0.1', '::', '192.168.1.2'].some(isLoopbackAddress)).toBe(false);
  });
});
