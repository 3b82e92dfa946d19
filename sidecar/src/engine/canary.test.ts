import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaCppAdapter } from '../adapters/llamacpp/adapter.js';
import { startFakeLlama, type FakeLlama } from '../../test/support/fake-llama-server.js';
import { runCancelSelfTest, runCanary } from './canary.js';

let fake: FakeLlama;
beforeAll(async () => {
  fake = await startFakeLlama({ tokens: ['a', 'b'] });
});
afterAll(async () => {
  await fake.close();
});

describe('ORCH-4017/3049: startup canary and cancel self-test', () => {
  it('ORCH-4017: the canary hash is a sha256 over the token ids and is stable', async () => {
    const adapter = new LlamaCppAdapter(fake.baseUrl);
    const a = await runCanary(adapter);
    const b = await runCanary(adapter);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.hash).toBe(a.hash);
    expect(a.tokenIds).toEqual([1000, 1001]);
    expect(fake.requests.at(-1)).toMatchObject({ temperature: 0, seed: 0, n_predict: 16 });
    fake.script = { tokens: ['a', 'c'] };
    fake.requests.length = 0;
    const c = await runCanary(adapter);
    // Same ids from the fake (ids are positional), so text differs but the hash does not:
    expect(c.hash).toBe(a.hash);
  });

  it('ORCH-3049: an engine that frees its slot on abort passes; one that ignores the abort fails', async () => {
    const adapter = new LlamaCppAdapter(fake.baseUrl);
    fake.script = { tokens: Array.from({ length: 50 }, (_, i) => `t${i}`), delayMs: 10 };
    expect(await runCancelSelfTest(adapter, 1000)).toBeUndefined();
    fake.script = {
      tokens: Array.from({ length: 50 }, (_, i) => `t${i}`),
      delayMs: 10,
      ignoreDisconnect: true,
    };
    expect(await runCancelSelfTest(adapter, 300)).toMatch(/slot still busy/);
    fake.processing = false;
  });
});
