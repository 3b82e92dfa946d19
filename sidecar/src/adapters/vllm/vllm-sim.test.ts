// The vLLM adapter against the engine simulator's vLLM-style OpenAI API: a live streaming peer
// (real timing, cancel, load) next to the byte-exact WireMock contract suite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineSim, type EngineSim } from '@llama-orch/test-harness/engine-sim';
import { identityFeatures } from '../simulated.js';
import { collect } from '../openai-compatible/testing.js';
import { VllmAdapter } from './adapter.js';

let sim: EngineSim;
let adapter: VllmAdapter;

beforeAll(async () => {
  sim = await startEngineSim({ config: { itlMs: 10 } });
  adapter = new VllmAdapter({ baseUrl: sim.url });
});
afterAll(async () => {
  await sim?.close();
});

describe('ORCH-3054: vLLM adapter against the engine simulator', () => {
  it('ORCH-4020: identity via /version and /v1/models says simulated', async () => {
    expect(await adapter.health()).toEqual({ ready: true });
    const id = await adapter.identify();
    expect(id).toMatchObject({
      engine: 'vllm',
      engineVersion: 'sim-0.1.0',
      modelPath: 'sim-smollm2-135m',
      ctxMax: 2048,
    });
    expect(identityFeatures(id)).toContain('simulated');
  });

  it('ORCH-3050: streams tokens with engine usage counts; same seed → same text', async () => {
    const a = await collect(adapter, { maxTokens: 6, seed: 9 });
    const b = await collect(adapter, { maxTokens: 6, seed: 9 });
    expect(a.outcome).toMatchObject({ reason: 'length', tokensOut: 6, tokensIn: 5 });
    expect(a.texts.join('')).toBe(b.texts.join(''));
  });

  it('ORCH-4013: abort frees the engine; load reads the vllm:* gauges', async () => {
    const r = await collect(adapter, { maxTokens: 200, seed: 3 }, (n, abort) => {
      if (n === 2) abort();
    });
    expect(r.outcome.reason).toBe('canceled');
    const deadline = Date.now() + 2000;
    while (sim.engine.busy > 0 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 20));
    expect(await adapter.load()).toMatchObject({ running: 0, waiting: 0, slotsBusy: 0 });
  });
});
