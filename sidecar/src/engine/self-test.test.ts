// Startup self-tests report the failing step instead of throwing (ORCH-3049, ORCH-3037).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterModule } from '../adapters/registry.js';
import { startSidecar } from '../sidecar.js';
import { startFakeLlama, type FakeLlama } from '../../test/support/fake-llama-server.js';
import { startFakePlacement } from '../../test/support/fake-placement.js';
import { sha256File } from './digest.js';
import { isTransient } from './self-test.js';
import { bringUpEngine } from './startup.js';

const mod = adapterModule('llamacpp');
let fake: FakeLlama;
let dir: string;
let model: string;

beforeAll(async () => {
  fake = await startFakeLlama({ tokens: ['a', 'b', 'c'] });
  dir = await mkdtemp(join(tmpdir(), 'self-test-'));
  model = join(dir, 'model.gguf');
  await writeFile(model, 'not really a gguf');
});
afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const external = () => ({ external: { baseUrl: fake.baseUrl, modelDigest: 'ab'.repeat(32) } });
const supervised = (over: { binary?: string; modelDigest?: string }) => ({
  supervise: {
    binary: over.binary ?? '/nonexistent/llama-server',
    modelPath: model,
    modelDigest: over.modelDigest ?? 'cd'.repeat(32),
    ctx: 2048,
    threads: 1,
    healthTimeoutMs: 2000,
  },
});

describe('ORCH-3049: startup self-tests name the failing step', () => {
  it('ORCH-3049: a healthy engine passes every step and yields a canary hash', async () => {
    fake.script = { tokens: ['a', 'b', 'c'] };
    const eng = await bringUpEngine(mod, { ...external(), canary: true });
    expect(eng.failure).toBeUndefined();
    expect(eng.canary.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(eng.identity.engineVersion).toBe('b9999-fake');
  });

  it('ORCH-3049: an engine that cannot decode fails at decode', async () => {
    fake.script = { tokens: [], status: 500 };
    const eng = await bringUpEngine(mod, { ...external(), canary: true });
    expect(eng.failure?.step).toBe('decode');
    expect(eng.canary.hash).toBe('');
    fake.script = { tokens: ['a', 'b', 'c'] };
  });

  it('ORCH-3049: an engine without readable metrics fails at telemetry', async () => {
    fake.noMetrics = true;
    try {
      const eng = await bringUpEngine(mod, { ...external(), canary: true });
      expect(eng.failure).toMatchObject({ step: 'telemetry' });
      expect(eng.failure?.detail).toContain('/metrics answered HTTP 404');
      // The engine answered: a property of the engine, not worth a retry.
      expect(eng.failure?.transient).toBeUndefined();
    } finally {
      fake.noMetrics = false;
    }
  });

  it('ORCH-3049: only transport failures (aborted, timed out, reset, refused) count as transient', () => {
    const aborted = Object.assign(new Error('The operation was aborted'), {
      name: 'AbortError',
      code: 'ABORT_ERR',
    });
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const wrapped = new TypeError('fetch failed', { cause: reset });
    expect([aborted, reset, wrapped].map(isTransient)).toEqual([true, true, true]);
    const answered = new Error('GET /metrics → HTTP 404: not found');
    expect([answered, 'text', undefined].map(isTransient)).toEqual([false, false, false]);
  });

  it('ORCH-3037: a digest mismatch fails at preload naming both digests, without launching', async () => {
    const actual = await sha256File(model);
    const eng = await bringUpEngine(mod, { ...supervised({}), canary: true });
    expect(eng.failure?.step).toBe('preload');
    expect(eng.failure?.detail).toContain('UNTRUSTED_ARTIFACT');
    expect(eng.failure?.detail).toContain(`sha256:${actual}`);
    expect(eng.failure?.detail).toContain(`sha256:${'cd'.repeat(32)}`);
    expect(eng.process).toBeUndefined();
  });

  it('ORCH-3049: an engine binary that cannot start fails at launch', async () => {
    const digest = await sha256File(model);
    const eng = await bringUpEngine(mod, { ...supervised({ modelDigest: digest }), canary: true });
    expect(eng.failure?.step).toBe('launch');
    expect(eng.modelDigest).toBe(digest);
  });

  it('ORCH-3049/3002: a sidecar whose self-test fails still registers and heartbeats ready=false with the step', async () => {
    const placement = await startFakePlacement();
    const sc = await startSidecar({
      replicaId: 'r-bad',
      poolId: 'p',
      modelRef: 'm',
      ...supervised({}),
      placementAddress: placement.address,
      heartbeatMs: 50,
      log: () => undefined,
    });
    try {
      const reg = await placement.waitFor((m) => m.msg?.$case === 'register');
      expect(reg.msg?.$case === 'register' && reg.msg.value.replicaId).toBe('r-bad');
      const hb = await placement.waitFor((m) => m.msg?.$case === 'heartbeat');
      if (hb.msg?.$case !== 'heartbeat') throw new Error('no heartbeat');
      expect(hb.msg.value.ready).toBe(false);
      expect(hb.msg.value.unreadyReason).toMatch(/^self-test preload: UNTRUSTED_ARTIFACT/);
      const health = await fetch(`http://127.0.0.1:${sc.port}/healthz`);
      expect(health.status).not.toBe(200);
      expect(sc.status()).toMatchObject({ ready: false, engineVersion: 'unknown' });
    } finally {
      await sc.close();
      await placement.close();
    }
  });
});
