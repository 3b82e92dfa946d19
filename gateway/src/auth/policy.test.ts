import { fileURLToPath } from 'node:url';
import { loadConfig } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';
import { describe, expect, it } from 'vitest';
import { gatewayOptionsFrom } from '../config.js';
import { KeyRing, KeySecret, credentialFrom, isLoopbackHost } from './api-keys.js';
import type { Credential } from './api-keys.js';
import { AuthPolicy, assertAuthAllowed } from './policy.js';

/** The server secret of these tests (ORCH-3140): key digests are HMACs under it. */
const SECRET = KeySecret.fromText('test-secret-0123456789abcdef0123456789', 'test');
const hmac = (k: string): string => SECRET.digestHex(k);

const TENANTS = [
  { id: 'ops', apiKeyHmac: [hmac('ops-key')], operator: true },
  { id: 'acme', apiKeyHmac: [hmac('acme-key'), hmac('acme-key-2')] },
];
const key = (k: string): Credential => ({ kind: 'key', key: k });
const none: Credential = { kind: 'none' };

/** The error code a call throws, or "ok" with the tenant it resolved. */
function outcome(f: () => { tenant: string }): string {
  try {
    return `ok:${f().tenant}`;
  } catch (error) {
    if (error instanceof CoreError) return `${error.httpStatus} ${error.code}`;
    throw error;
  }
}

const headers =
  (h: Record<string, string>) =>
  (name: string): string | undefined =>
    h[name];

describe('ORCH-3035: API keys', () => {
  it('ORCH-3035: X-API-Key and Authorization: Bearer both carry the key; anything else is malformed', () => {
    expect(credentialFrom(headers({}))).toEqual({ kind: 'none' });
    expect(credentialFrom(headers({ 'x-api-key': 'k1' }))).toEqual(key('k1'));
    expect(credentialFrom(headers({ authorization: 'Bearer k2' }))).toEqual(key('k2'));
    expect(credentialFrom(headers({ authorization: 'bearer  k2 ' }))).toEqual(key('k2'));
    expect(credentialFrom(headers({ 'x-api-key': 'k', authorization: 'Bearer k' }))).toEqual(
      key('k'),
    );
    const malformed: Record<string, string>[] = [
      { authorization: 'Basic dXNlcjpwdw==' },
      { authorization: 'Bearer' },
      { 'x-api-key': '' },
      { 'x-api-key': 'has space' },
      { 'x-api-key': 'é-non-ascii' },
      { 'x-api-key': 'x'.repeat(513) },
      { 'x-api-key': 'a', authorization: 'Bearer b' },
    ];
    for (const h of malformed) {
      expect(credentialFrom(headers(h)).kind, JSON.stringify(h)).toBe('malformed');
    }
  });

  it('ORCH-3035: a key ring stores hashes only and maps a key to its tenant; fingerprints are not keys', () => {
    const ring = new KeyRing(SECRET, TENANTS, ['admin-token']);
    expect(ring.lookup('acme-key-2')).toMatchObject({ tenant: 'acme', operator: false });
    expect(ring.lookup('ops-key')).toMatchObject({ tenant: 'ops', operator: true });
    expect(ring.lookup('admin-token')).toMatchObject({ tenant: 'default', operator: true });
    expect(ring.lookup('acme-key-3')).toBeUndefined();
    const p = ring.lookup('acme-key');
    expect(p?.fingerprint).toBe(hmac('acme-key').slice(0, 12));
    expect(p?.fingerprint).toHaveLength(12);
    expect(JSON.stringify(ring)).not.toContain('acme-key');
    expect(() => new KeyRing(SECRET, [{ id: 't', apiKeyHmac: ['not-hex'] }])).toThrow(/HMAC/);
  });

  it('ORCH-3035: auth required — no key or malformed 401, unknown key 403, known key → its tenant', () => {
    const policy = new AuthPolicy({
      required: true,
      keys: new KeyRing(SECRET, TENANTS),
      host: '0.0.0.0',
    });
    expect(outcome(() => policy.dataPlane(none))).toBe('401 UNAUTHORIZED');
    expect(outcome(() => policy.dataPlane({ kind: 'malformed', reason: 'x' }))).toBe(
      '401 UNAUTHORIZED',
    );
    expect(outcome(() => policy.dataPlane(key('nope')))).toBe('403 FORBIDDEN');
    expect(outcome(() => policy.dataPlane(key('acme-key')))).toBe('ok:acme');
    expect(outcome(() => policy.dataPlane(key('ops-key')))).toBe('ok:ops');
  });

  it('ORCH-3035: auth not required — no key is tenant "default", a presented key is still checked', () => {
    const policy = new AuthPolicy({
      required: false,
      keys: new KeyRing(SECRET, TENANTS),
      host: '127.0.0.1',
    });
    expect(outcome(() => policy.dataPlane(none))).toBe('ok:default');
    expect(policy.dataPlane(none).authenticated).toBe(false);
    expect(outcome(() => policy.dataPlane(key('acme-key')))).toBe('ok:acme');
    expect(outcome(() => policy.dataPlane(key('nope')))).toBe('403 FORBIDDEN');
  });

  it('ORCH-3035: the control plane needs an operator key; tenant keys are 403', () => {
    const policy = new AuthPolicy({
      required: true,
      keys: new KeyRing(SECRET, TENANTS),
      host: '0.0.0.0',
    });
    expect(policy.controlMode).toBe('key');
    expect(outcome(() => policy.controlPlane(none))).toBe('401 UNAUTHORIZED');
    expect(outcome(() => policy.controlPlane(key('acme-key')))).toBe('403 FORBIDDEN');
    expect(outcome(() => policy.controlPlane(key('nope')))).toBe('403 FORBIDDEN');
    expect(outcome(() => policy.controlPlane(key('ops-key')))).toBe('ok:ops');
    // No operator at all: closed, whatever is presented.
    const noOps = new AuthPolicy({
      required: true,
      keys: new KeyRing(SECRET, [TENANTS[1]!]),
      host: '127.0.0.1',
    });
    expect(noOps.controlMode).toBe('closed');
    expect(outcome(() => noOps.controlPlane(key('acme-key')))).toBe('403 FORBIDDEN');
    // Loopback, auth off, no operator key: open for local development.
    const local = new AuthPolicy({
      required: false,
      keys: new KeyRing(SECRET, []),
      host: '127.0.0.1',
    });
    expect(local.controlMode).toBe('open');
    expect(outcome(() => local.controlPlane(none))).toBe('ok:default');
    // Loopback, auth off, ORCH_ADMIN_TOKEN set: the token is required even on loopback.
    const token = new AuthPolicy({
      required: false,
      keys: new KeyRing(SECRET, [], ['t0k']),
      host: '127.0.0.1',
    });
    expect(outcome(() => token.controlPlane(none))).toBe('401 UNAUTHORIZED');
    expect(outcome(() => token.controlPlane(key('t0k')))).toBe('ok:default');
  });

  it("ORCH-3035: a tenant's key acts on its own tasks only; operators and anonymous loopback callers on any", () => {
    const policy = new AuthPolicy({
      required: false,
      keys: new KeyRing(SECRET, TENANTS),
      host: '::1',
    });
    const acme = policy.dataPlane(key('acme-key'));
    const ops = policy.dataPlane(key('ops-key'));
    const anonymous = policy.dataPlane(none);
    expect(() => policy.checkTaskAccess(acme, 'acme')).not.toThrow();
    expect(() => policy.checkTaskAccess(acme, undefined)).not.toThrow();
    expect(() => policy.checkTaskAccess(acme, 'other')).toThrow(/another tenant/);
    expect(() => policy.checkTaskAccess(ops, 'acme')).not.toThrow();
    expect(() => policy.checkTaskAccess(anonymous, 'acme')).not.toThrow();
  });

  it('ORCH-3035: auth may be off only on a loopback bind', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.5', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
    expect(() => assertAuthAllowed('127.0.0.1', false)).not.toThrow();
    expect(() => assertAuthAllowed('0.0.0.0', true)).not.toThrow();
    expect(() => assertAuthAllowed('0.0.0.0', false)).toThrow(/refusing to start/);
  });

  it('ORCH-3035: config tenants map to keys with their operator flag; auth.required is carried', () => {
    const path = (name: string): string =>
      fileURLToPath(new URL(`../../../contracts/examples/config/${name}`, import.meta.url));
    const prod = gatewayOptionsFrom(loadConfig(path('nvidia-2gpu.yaml')));
    expect(prod.auth?.required).toBe(true);
    expect(prod.auth?.tenants.slice(0, 2)).toEqual([
      {
        id: 'ops',
        apiKeyHmac: ['f0cf8ad96dd9bbd9c1d58926e237e325c760b8b690bff592e270b26bea0abd11'],
        operator: true,
      },
      {
        id: 'acme',
        apiKeyHmac: ['64c3ea27abf85d54a9ed09207a1e87bae3151d54153e35d9ca767c83c145768e'],
        operator: false,
      },
    ]);
    const local = gatewayOptionsFrom(loadConfig(path('local-cpu.yaml')));
    expect(local.auth).toEqual({ required: false, tenants: [] });
  });
});

describe('ORCH-3106: the OpenAI routes key rule', () => {
  const policy = (required: boolean, tenants: typeof TENANTS | [] = TENANTS): AuthPolicy =>
    new AuthPolicy({ required, keys: new KeyRing(SECRET, tenants, []), host: '127.0.0.1' });

  it('ORCH-3106: an unknown key is 401 UNAUTHORIZED there (403 on OrchQueue routes)', () => {
    expect(outcome(() => policy(false).dataPlane(key('nope')))).toBe('403 FORBIDDEN');
    expect(outcome(() => policy(false).openAiDataPlane(key('nope')))).toBe('401 UNAUTHORIZED');
    expect(outcome(() => policy(true).openAiDataPlane(key('nope')))).toBe('401 UNAUTHORIZED');
    expect(outcome(() => policy(true).openAiDataPlane(none))).toBe('401 UNAUTHORIZED');
    expect(outcome(() => policy(false).openAiDataPlane(key('acme-key')))).toBe('ok:acme');
    expect(outcome(() => policy(false).openAiDataPlane(none))).toBe('ok:default');
  });

  it('ORCH-3106: with auth off and no tenant key configured, any key acts as "default"', () => {
    expect(outcome(() => policy(false, []).openAiDataPlane(key('sk-anything')))).toBe('ok:default');
    expect(outcome(() => policy(false, []).dataPlane(key('sk-anything')))).toBe('403 FORBIDDEN');
    expect(outcome(() => policy(true, []).openAiDataPlane(key('sk-anything')))).toBe(
      '401 UNAUTHORIZED',
    );
  });
});
