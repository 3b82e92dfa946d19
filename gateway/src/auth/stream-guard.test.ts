// ORCH-3035 on the stream route, without gRPC: the guard in front of the placer, and what the
// ext_proc loop sends Envoy for its decisions (codec).
import { CoreError } from '@llama-orch/core';
import { describe, expect, it } from 'vitest';
import { toImmediateError } from '../errors/immediate-error.js';
import { encodeDecision } from '../extproc/codec.js';
import type { PlacementRequest, Placer } from '../extproc/handler.js';
import { KeyRing, KeySecret } from './api-keys.js';
import { AuthPolicy } from './policy.js';
import { guardedPlacer } from './stream-guard.js';

/** The server secret of these tests (ORCH-3140): key digests are HMACs under it. */
const SECRET = KeySecret.fromText('test-secret-0123456789abcdef0123456789', 'test');
const hmac = (k: string): string => SECRET.digestHex(k);

const policy = new AuthPolicy({
  required: true,
  keys: new KeyRing(SECRET, [
    { id: 'acme', apiKeyHmac: [hmac('acme-key')] },
    { id: 'beta', apiKeyHmac: [hmac('beta-key')] },
  ]),
  host: '0.0.0.0',
});

function request(headers: Record<string, string>, taskId = 't1'): PlacementRequest {
  return {
    method: 'GET',
    path: `/v1/tasks/${taskId}/stream`,
    taskId,
    correlationId: 'c1',
    headers: { ':method': 'GET', ':path': `/v1/tasks/${taskId}/stream`, ...headers },
  };
}

function setup() {
  const decided: string[] = [];
  const refused: string[] = [];
  const inner: Placer = {
    decide: async (r) => {
      decided.push(r.taskId ?? '');
      return { kind: 'route', setHeaders: { 'x-gateway-destination-endpoint': '127.0.0.1:1' } };
    },
  };
  const placer = guardedPlacer(inner, {
    policy,
    taskTenant: (id) => (id === 't1' ? 'acme' : undefined),
    onRefused: (e) => refused.push(e.code),
  });
  return { placer, decided, refused };
}

const signal = new AbortController().signal;

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'routed',
    (e: unknown) => (e instanceof CoreError ? `${e.httpStatus} ${e.code}` : String(e)),
  );
}

describe('ORCH-3035: the stream route is checked in ext_proc', () => {
  it('ORCH-3035: no key 401, unknown key 403, another tenant 403 — and the placer never runs', async () => {
    const { placer, decided, refused } = setup();
    expect(await codeOf(placer.decide(request({}), signal))).toBe('401 UNAUTHORIZED');
    expect(await codeOf(placer.decide(request({ 'x-api-key': 'nope' }), signal))).toBe(
      '403 FORBIDDEN',
    );
    expect(await codeOf(placer.decide(request({ 'x-api-key': 'beta-key' }), signal))).toBe(
      '403 FORBIDDEN',
    );
    expect(decided).toEqual([]);
    expect(refused).toEqual(['UNAUTHORIZED', 'FORBIDDEN', 'FORBIDDEN']);
  });

  it("ORCH-3035: the owner's key routes, and the key is stripped before the request goes upstream", async () => {
    const { placer, decided } = setup();
    const decision = await placer.decide(
      request({ authorization: 'Bearer acme-key', 'x-correlation-id': 'c1' }),
      signal,
    );
    expect(decided).toEqual(['t1']);
    expect(decision).toMatchObject({ kind: 'route', removeHeaders: ['authorization'] });
    const wire = encodeDecision(decision);
    expect(wire).toMatchObject({
      request_headers: { response: { header_mutation: { remove_headers: ['authorization'] } } },
    });
    // An unknown task is the placer's to answer (404), not a 403 that would reveal nothing more.
    expect(await codeOf(placer.decide(request({ 'x-api-key': 'beta-key' }, 't2'), signal))).toBe(
      'routed',
    );
  });

  it('ORCH-3035: a refusal becomes an ImmediateResponse carrying the ErrorEnvelope', () => {
    const wire = encodeDecision(
      toImmediateError(new CoreError('UNAUTHORIZED', 'API key required'), 'c9'),
    );
    if (!('immediate_response' in wire)) throw new Error('not an immediate response');
    expect(wire.immediate_response.status.code).toBe(401);
    expect(JSON.parse(wire.immediate_response.body?.toString() ?? '')).toMatchObject({
      code: 'UNAUTHORIZED',
      retriable: false,
      correlation_id: 'c9',
    });
    expect(wire.immediate_response.details).toBe('orch_unauthorized');
  });
});
