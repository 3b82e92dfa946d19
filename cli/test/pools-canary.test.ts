// ORCH-3033: orchctl's canary verbs against a tiny local server that answers as the contract
// says (the pacts cover the 400s against the real gateway; a 202 needs a pool holding a canary,
// which the E2E test test-harness/engine-sim/canary.test.ts drives). Checks the request each verb
// sends and the human and --json output.
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateResponse } from '@llama-orch/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolText } from '../src/commands/admin.js';
import { cli } from './pact-support.js';

const RELOAD_ID = '0b6f7c1e-2a44-4d0e-9f3b-6f8a1c2d3e4f';
const seen: { method: string; url: string; body: string }[] = [];
let server: Server;
let url = '';

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void body(req).then((text) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: text });
      const action = req.url?.endsWith('/promote')
        ? 'promote'
        : req.url?.endsWith('/rollback')
          ? 'rollback'
          : 'reload';
      res.writeHead(202, { 'content-type': 'application/json', 'x-correlation-id': 'c-1' });
      res.end(JSON.stringify({ pool_id: 'default', action, reload_id: RELOAD_ID }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('ORCH-3033: orchctl pools reload --canary-share, promote, rollback', () => {
  it('ORCH-3033: reload --canary-share sends canary_share and says it holds', async () => {
    seen.length = 0;
    const r = await cli([
      'pools',
      'reload',
      '--url',
      url,
      '-m',
      'sim-b',
      '--canary-share',
      '0.1',
      'default',
    ]);
    expect(r).toMatchObject({
      code: 0,
      out: `reloading pool default with sim-b, canary 10% of tasks then hold (reload ${RELOAD_ID}; follow it with pools health)\n`,
    });
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/v1/pools/default/reload',
        body: JSON.stringify({ new_model_ref: 'sim-b', canary_share: 0.1 }),
      },
    ]);
  });

  it.each([
    [
      'promote',
      '/v1/pools/default/reload/promote',
      'promoting the canary of pool default to every replica',
    ],
    [
      'rollback',
      '/v1/pools/default/rollback',
      'rolling back the canary of pool default to the previous model',
    ],
  ])('ORCH-3033: pools %s → POST %s, human and --json output', async (verb, path, text) => {
    seen.length = 0;
    const human = await cli(['pools', verb, '--url', url, 'default']);
    expect(human).toMatchObject({
      code: 0,
      out: `${text} (reload ${RELOAD_ID}; follow it with pools health)\n`,
    });
    const json = await cli(['pools', verb, '--url', url, '--json', 'default']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as object;
    expect(parsed).toEqual({ pool_id: 'default', action: verb, reload_id: RELOAD_ID });
    const op = verb === 'promote' ? 'promotePoolReload' : 'rollbackPool';
    expect(validateResponse(op, 202, parsed).issues).toEqual([]);
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      `POST ${path} {}`,
      `POST ${path} {}`,
    ]);
  });

  it('ORCH-3033: a bad --canary-share is a usage error (exit 2), nothing sent', async () => {
    seen.length = 0;
    for (const share of ['0', '1', 'x', '-0.2']) {
      const r = await cli([
        'pools',
        'reload',
        '--url',
        url,
        '-m',
        'b',
        '--canary-share',
        share,
        'default',
      ]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('--canary-share');
    }
    expect(seen).toEqual([]);
  });

  it('ORCH-3033: pools health shows the canary split', () => {
    const text = poolText({
      pool_id: 'default',
      live: true,
      ready: true,
      draining: false,
      replicas: [],
      last_error: null,
      metrics: {
        queue_depth: { interactive: 0, batch: 0 },
        replicas_ready: 3,
        replicas_total: 3,
        slots_total: 6,
        slots_free: 6,
        tasks_running: 0,
        kv_usage_ratio: 0,
      },
      model_ref: 'sim-a',
      reload: {
        reload_id: RELOAD_ID,
        state: 'canary',
        phase: 'holding',
        from: { model_ref: 'sim-a' },
        to: { model_ref: 'sim-b' },
        replicas_total: 3,
        replicas_done: 1,
        started_at: '2026-01-01T00:00:00.000Z',
        finished_at: null,
        error: null,
        replicas: [],
        canary: {
          share: 0.34,
          canary_replicas: ['default-r0'],
          replicas: { canary: 1, stable: 2 },
          tasks: { canary: 78, stable: 136 },
        },
      },
    });
    expect(text).toContain(
      'canary    34% of tasks on default-r0; Ready canary 1 / stable 2; tasks canary 78 / stable 136 (pools promote|rollback)',
    );
    expect(text).toContain('reload    canary sim-a → sim-b, 1/3 done');
  });
});
