import { describe, expect, it } from 'vitest';
import { ConfigError, dottedPath, loadConfig, parseConfig, validateConfig } from './load.js';

const minimal = `
version: 1
pools:
  - id: gpu-a
    engine: llamacpp
    model_ref: m
    devices: ['cuda:0']
    ctx_max: 4096
`;

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('ORCH-3030: loadConfig applies defaults', () => {
  const c = parseConfig(minimal);
  it('ORCH-3005: interactive rejects and batch drops LRU by default', () => {
    expect(c.queue).toEqual({
      interactive: { capacity: 64, full_policy: 'reject' },
      batch: { capacity: 256, full_policy: 'drop-lru' },
    });
    expect(c.pools[0]?.queue).toEqual(c.queue);
  });
  it('ORCH-3021: sessions default to 600000 ms and 8 turns', () => {
    expect(c.sessions).toEqual({ ttl_ms: 600000, max_turns: 8 });
  });
  it('ORCH-3016/ORCH-4023: timeouts default to wall 60 s, idle 5 s, queue wait 30 s, attach 30 s', () => {
    expect(c.timeouts).toEqual({
      wall_ms: 60000,
      idle_ms: 5000,
      queue_wait_ms: 30000,
      attach_timeout_ms: 30000,
    });
  });
  it('ORCH-3040: the circuit breaker defaults to 5 consecutive failures and a 30 s cool-down', () => {
    expect(c.control.circuit_breaker).toEqual({ consecutive_failures: 5, cooldown_ms: 30000 });
  });
  it('ORCH-3102: prompt_format defaults to chat, raw for triton; triton cannot take chat', () => {
    expect(c.pools[0]?.prompt_format).toBe('chat');
    const triton = minimal.replace('engine: llamacpp', 'engine: triton');
    expect(parseConfig(triton).pools[0]?.prompt_format).toBe('raw');
    expect(parseConfig(`${minimal}    prompt_format: raw\n`).pools[0]?.prompt_format).toBe('raw');
    expect(issuesOf(() => parseConfig(`${triton}    prompt_format: chat\n`))).toEqual([
      'pools[0].prompt_format: triton cannot render a chat template; set prompt_format: raw and send formatted prompts',
    ]);
    expect(issuesOf(() => parseConfig(`${minimal}    prompt_format: chatml\n`))).toEqual([
      'pools[0].prompt_format: must be one of ["raw","chat"]',
    ]);
  });
  it('ORCH-3045: pools default to strict determinism, one slot, sampler v1', () => {
    expect(c.pools[0]).toMatchObject({
      determinism: 'strict',
      slots: 1,
      replicas: 1,
      sampler_profile_version: 'v1',
    });
    expect(c.pools[0]?.replica_devices).toEqual([['cuda:0']]);
  });
  it('ORCH-4001: default ports follow the wire conventions', () => {
    expect(c.listen).toEqual({
      host: '127.0.0.1',
      envoy_port: 8080,
      envoy_admin_port: 9901,
      rest_port: 8081,
      ext_proc_port: 9002,
      control_port: 9003,
      sidecar_port_base: 8100,
      engine_port_base: 8200,
    });
    expect(c.auth.required).toBe(false);
    expect(c.tenants).toEqual([]);
  });
  it('ORCH-3030: the input object is not mutated', () => {
    const input = {
      version: 1,
      pools: [{ id: 'a', engine: 'llamacpp', model_ref: 'm', devices: ['cuda:0'], ctx_max: 1 }],
    };
    const copy = structuredClone(input);
    validateConfig(input);
    expect(input).toEqual(copy);
  });
  it('ORCH-3005: a pool queue override merges over the global queue', () => {
    const p = parseConfig(`${minimal}    queue:\n      batch: { capacity: 9 }\n`).pools[0];
    expect(p?.queue.batch).toEqual({ capacity: 9, full_policy: 'drop-lru' });
    expect(p?.queue.interactive.capacity).toBe(64);
  });
  it('ORCH-3076: tenants inherit the default fairness weight', () => {
    const c2 = parseConfig(
      `${minimal}tenants:\n  - id: t\n    api_key_hmac: ['${'a'.repeat(64)}']\n`,
    );
    expect(c2.tenants[0]).toEqual({
      id: 't',
      api_key_hmac: ['a'.repeat(64)],
      weight: 1,
      operator: false,
      quotas: {},
    });
  });
});

describe('ORCH-3030: errors name the bad field', () => {
  it('ORCH-3030: unknown top-level and nested fields', () => {
    expect(issuesOf(() => parseConfig(`${minimal}extra: 1\n`))).toEqual(['extra: unknown field']);
    expect(issuesOf(() => parseConfig(minimal.replace('ctx_max', 'ctx')))).toEqual(
      expect.arrayContaining(['pools[0].ctx: unknown field', 'pools[0].ctx_max: is required']),
    );
  });
  it('ORCH-3035: duplicate key hashes across tenants are refused', () => {
    const h = 'b'.repeat(64);
    const text = `${minimal}tenants:\n  - id: a\n    api_key_hmac: ['${h}']\n  - id: b\n    api_key_hmac: ['${h}']\n`;
    expect(issuesOf(() => parseConfig(text)).join()).toMatch(/more than one tenant/);
  });
  it('ORCH-3140: a retired api_key_sha256 is refused with the migration, not as an unknown field', () => {
    const text = `${minimal}tenants:\n  - id: a\n    api_key_sha256: ['${'c'.repeat(64)}']\n`;
    expect(issuesOf(() => parseConfig(text))).toEqual([
      expect.stringMatching(
        /^tenants\[0\]\.api_key_sha256: retired \(bare sha256\): list api_key_hmac/,
      ),
    ]);
  });
  it('ORCH-3142: off loopback, mutual TLS is mandatory; tls gets its refresh default', () => {
    const off = `${minimal}listen: { host: 0.0.0.0 }\nauth: { required: true }\ntenants:\n  - id: a\n    api_key_hmac: ['${'d'.repeat(64)}']\n`;
    expect(issuesOf(() => parseConfig(off))).toContain(
      'tls: is required when listen.host is 0.0.0.0 (not loopback)',
    );
    const tls = `${off}tls: { ca_file: /t/ca.crt, cert_file: /t/tls.crt, key_file: /t/tls.key }\n`;
    expect(parseConfig(tls).tls).toEqual({
      ca_file: '/t/ca.crt',
      cert_file: '/t/tls.crt',
      key_file: '/t/tls.key',
      refresh_interval_ms: 60_000,
    });
  });
  it('ORCH-3030: port clashes are refused', () => {
    expect(issuesOf(() => parseConfig(`${minimal}listen: { rest_port: 9002 }\n`))).toContain(
      'listen.rest_port: port 9002 also used by listen.ext_proc_port',
    );
  });
  it('ORCH-3030: bad YAML, non-mapping and missing file are ConfigErrors', () => {
    expect(issuesOf(() => parseConfig('a: [1,'))[0]).toMatch(/^\(yaml\)/);
    expect(issuesOf(() => parseConfig('- 1\n- 2\n'))).toEqual(['(root): must be a YAML mapping']);
    expect(issuesOf(() => loadConfig('/nonexistent/config.yaml'))).toEqual([
      '(file): no such file',
    ]);
  });
  it('ORCH-3030: dottedPath renders JSON pointers', () => {
    expect(dottedPath('/pools/0/devices/1')).toBe('pools[0].devices[1]');
    expect(dottedPath('')).toBe('(root)');
  });
});
