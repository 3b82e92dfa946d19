// ORCH-3035 end to end: real Envoy + the real gateway with auth.required + a fake sidecar. REST
// routes answer 401/403 from the gateway; the stream route is refused in ext_proc with an
// ImmediateResponse; a routed stream reaches the sidecar without the client's key.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { validateResponse, validateSseTranscript } from '@llama-orch/contracts';
import { recordTestKeys, runLogWriter } from '@llama-orch/tools';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeySecret } from '../src/auth/api-keys.js';
import { startGateway } from '../src/index.js';
import { EDGE_MODEL as MODEL, EDGE_POOL, startEdgeStack } from './support/edge-stack.js';
import type { EdgeStack } from './support/edge-stack.js';
import type { EnvoyEdge } from './support/envoy-edge.js';
import type { FakeSidecar } from './support/fake-sidecar.js';

/** The server secret (ORCH-3140): the gateway gets it from ORCH_API_KEY_SECRET. */
const SECRET_TEXT = 'test-secret-0123456789abcdef0123456789';
const SECRET = KeySecret.fromText(SECRET_TEXT, 'test');
const hmac = (k: string): string => SECRET.digestHex(k);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KEYS = {
  ops: 'ops-secret-1',
  acme: 'acme-secret-1',
  beta: 'beta-secret-1',
  small: 'small-secret-1',
  /** Held by no tenant (403); still never logged. */
  unknown: 'unknown-secret-1',
};

describe('ORCH-3035: API-key auth through real Envoy', { timeout: 15_000 }, () => {
  let stack: EdgeStack;
  let sidecar: FakeSidecar;
  let edge: EnvoyEdge;
  /** Every log line the gateway wrote (debug and up): keys must never appear in them. */
  let logged = '';

  beforeAll(async () => {
    const runLog = runLogWriter('auth-envoy-gateway');
    recordTestKeys(Object.values(KEYS));
    stack = await startEdgeStack({
      logger: pino(
        { level: 'debug' },
        {
          write: (line: string) => {
            logged += line;
            runLog?.(line); // ORCH-3141: and into the run's log directory, for the key scan
          },
        },
      ),
      env: { ORCH_API_KEY_SECRET: SECRET_TEXT },
      scheduler: {
        pools: [{ id: EDGE_POOL, engine: 'llamacpp', modelRef: MODEL, ctxMax: 2048 }],
        tenants: { small: { weight: 1, quotas: { maxConcurrent: 1 } } },
      },
      auth: {
        required: true,
        tenants: [
          { id: 'ops', apiKeyHmac: [hmac(KEYS.ops)], operator: true },
          { id: 'acme', apiKeyHmac: [hmac(KEYS.acme)] },
          { id: 'beta', apiKeyHmac: [hmac(KEYS.beta)] },
          { id: 'small', apiKeyHmac: [hmac(KEYS.small)] },
        ],
      },
    });
    ({ sidecar, edge } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  const submit = (taskId: string, headers: Record<string, string>) => stack.submit(taskId, headers);
  const stream = (taskId: string, headers: Record<string, string>) => stack.stream(taskId, headers);

  it('ORCH-3035: POST /v1/tasks through Envoy: no key 401, unknown key 403, tenant key 202', async () => {
    const none = await submit(randomUUID(), { 'x-correlation-id': 'c-401' });
    expect(none.status).toBe(401);
    const body: unknown = await none.json();
    expect(body).toMatchObject({ code: 'UNAUTHORIZED', correlation_id: 'c-401' });
    expect(validateResponse('createTask', 401, body).issues).toEqual([]);
    expect((await submit(randomUUID(), { 'x-api-key': KEYS.unknown })).status).toBe(403);
    expect((await submit(randomUUID(), { 'x-api-key': KEYS.acme })).status).toBe(202);
  });

  it("ORCH-3036: quotas apply to the key's tenant: a second task of a tenant limited to 1 is 429, another tenant's is admitted", async () => {
    expect((await submit(randomUUID(), { 'x-api-key': KEYS.small })).status).toBe(202);
    const over = await submit(randomUUID(), { 'x-api-key': KEYS.small });
    expect(over.status).toBe(429);
    const body = (await over.json()) as { code: string; policy_label: string };
    expect(body.code).toBe('ADMISSION_REJECT');
    expect(body.policy_label).toBe('quota:concurrent');
    expect((await submit(randomUUID(), { 'x-api-key': KEYS.beta })).status).toBe(202);
  });

  it('ORCH-3035: the stream route is refused in ext_proc (ImmediateResponse + ErrorEnvelope) before any hold', async () => {
    const taskId = randomUUID();
    expect((await submit(taskId, { authorization: `Bearer ${KEYS.acme}` })).status).toBe(202);
    const before = sidecar.requests.length;
    const none = await stream(taskId, { 'x-correlation-id': 'c-s401' });
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/json');
    const envelope: unknown = await none.json();
    expect(envelope).toMatchObject({ code: 'UNAUTHORIZED', correlation_id: 'c-s401' });
    expect(validateResponse('streamTask', 401, envelope).issues).toEqual([]);
    const foreign = await stream(taskId, { 'x-api-key': KEYS.beta });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect(sidecar.requests.length).toBe(before);
    expect(sidecar.assigns.some((a) => a.task?.taskId === taskId)).toBe(false);

    // The owner streams; the sidecar never sees the key.
    const ok = await stream(taskId, { 'x-api-key': KEYS.acme });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(validateSseTranscript(text).issues).toEqual([]);
    expect(text).toContain('event: end');
    const seen = sidecar.requests.find((r) => r.url.includes(taskId));
    expect(seen).toBeDefined();
    expect(seen?.headers['x-api-key']).toBeUndefined();
    expect(seen?.headers.authorization).toBeUndefined();
  });

  it('ORCH-3035: control plane through Envoy needs an operator key; /metrics is exempt', async () => {
    const health = (headers: Record<string, string>) =>
      fetch(`${edge.url}/v1/pools/pool-a/health`, { headers });
    expect((await health({})).status).toBe(401);
    expect((await health({ 'x-api-key': KEYS.acme })).status).toBe(403);
    expect((await health({ 'x-api-key': KEYS.ops })).status).toBe(200);
    const metrics = await fetch(`${edge.url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(
      /placement_extproc_requests_total\{outcome="unauthorized",api="orchqueue"\} 2/,
    );
    expect(text).not.toContain(KEYS.acme);
  });

  /** The real orchctl (cli/src/main.ts through tsx), with ORCH_URL/ORCH_API_KEY from env. */
  const orchctl = (args: string[], apiKey?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'cli/src/main.ts', ...args],
        {
          cwd: ROOT,
          timeout: 30_000,
          env: {
            PATH: process.env.PATH,
            HOME: '/nonexistent-orchctl-home',
            ORCH_URL: edge.url,
            ...(apiKey ? { ORCH_API_KEY: apiKey } : {}),
          },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('ORCH-3035: orchctl sends ORCH_API_KEY on submit, stream and the control plane', async () => {
    const denied = await orchctl(['run', 'hi', '-n', '3', '-m', MODEL]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('not authenticated (set ORCH_API_KEY or --api-key)');
    const ran = await orchctl(['run', 'hi', '-n', '3', '-m', MODEL], KEYS.acme);
    expect(ran.stderr + ran.stdout).toContain('Hello, world');
    expect(ran.code).toBe(0);
    const health = await orchctl(['pools', 'health', 'pool-a'], KEYS.ops);
    expect(health.code, health.stderr).toBe(0);
    const notOps = await orchctl(['pools', 'health', 'pool-a'], KEYS.acme);
    expect(notOps.stderr).toContain('not allowed for this API key');
  }, 60_000);

  it("ORCH-3035/ORCH-3021: two tenants, one session_id: each key sees only its own session; another's is 404, its delete a no-op", async () => {
    const sessionId = randomUUID();
    const session = (key?: string, method = 'GET') =>
      fetch(`${edge.url}/v1/sessions/${sessionId}`, {
        method,
        headers: key ? { 'x-api-key': key } : {},
      });
    /** One turn in the session as `key`'s tenant: submit, stream to the end. */
    const turn = async (key: string): Promise<string> => {
      const taskId = randomUUID();
      const admitted = await stack.submit(taskId, { 'x-api-key': key }, { session_id: sessionId });
      expect(admitted.status).toBe(202);
      const text = await (await stream(taskId, { 'x-api-key': key })).text();
      expect(text).toContain('event: end');
      return taskId;
    };
    /** The session's turns as `key` sees it, once the finished lease has been recorded (≤ 5 s). */
    const turnsSeen = async (key: string, want: number): Promise<number> => {
      const until = Date.now() + 5_000;
      for (;;) {
        const res = await session(key);
        const turns = res.status === 200 ? ((await res.json()) as { turns: number }).turns : -1;
        if (turns === want || Date.now() > until) return turns;
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    await turn(KEYS.acme);
    expect(await turnsSeen(KEYS.acme, 1)).toBe(1);
    // beta: 404 NOT_FOUND, the same envelope as for an id nobody holds.
    const foreign = await session(KEYS.beta);
    expect(foreign.status).toBe(404);
    const envelope: unknown = await foreign.json();
    expect(envelope).toMatchObject({ code: 'NOT_FOUND', message: `no session ${sessionId}` });
    expect(validateResponse('getSession', 404, envelope).issues).toEqual([]);
    expect((await session(KEYS.beta, 'DELETE')).status).toBe(204);
    expect(await turnsSeen(KEYS.acme, 1)).toBe(1); // beta's delete removed nothing
    expect((await session(undefined)).status).toBe(401);

    // beta's own turn under the same id starts beta's session: cold, and acme's keeps its count.
    const betaTask = await turn(KEYS.beta);
    const assign = sidecar.assigns.find((a) => a.task?.taskId === betaTask);
    expect(assign?.task?.tenant).toBe('beta');
    expect(assign?.kvWarmth).toBe(false);
    expect(await turnsSeen(KEYS.beta, 1)).toBe(1);
    expect(await turnsSeen(KEYS.acme, 1)).toBe(1);
    // An operator key sees the session; the owner's delete ends only the owner's.
    expect((await session(KEYS.ops)).status).toBe(200);
    expect((await session(KEYS.acme, 'DELETE')).status).toBe(204);
    expect((await session(KEYS.acme)).status).toBe(404);
    expect(await turnsSeen(KEYS.beta, 1)).toBe(1);
  });

  it('ORCH-3027/ORCH-3035: no API key ever reaches the gateway log', () => {
    expect(logged).toContain('task rejected'); // the refusals above were logged...
    for (const key of Object.values(KEYS)) expect(logged).not.toContain(key);
  });

  it('ORCH-3035: the gateway refuses to start with auth off on a non-loopback bind', async () => {
    await expect(
      startGateway({
        host: '0.0.0.0',
        restPort: 0,
        extProcPort: 0,
        controlPort: 0,
        logger: 'silent',
        scheduler: { pools: [{ id: 'p', engine: 'llamacpp', modelRef: MODEL, ctxMax: 512 }] },
      }),
    ).rejects.toThrow(/refusing to start/);
  });
});
