// The vLLM adapter against the engine simulator's vLLM-style OpenAI API: a live streaming peer
// (real timing, cancel, load) next to the byte-exact WireMock contract suite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineSim, tokenize, type EngineSim } from '@llama-orch/test-harness/engine-sim';
import { identityFeatures } from '../simulated.js';
import { collect } from '../../../test/support/collect-generation.js';
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

  it('ORCH-3102: prompt_format chat decodes the token ids the engine rendered (ChatML in the sim) via /tokenize', async () => {
    const prompt = 'The capital of France is';
    // The sim's own template: one user turn, then the assistant's opening.
    const rendered = `<|im_start|>user\n${prompt}<|im_end|>\n<|im_start|>assistant\n`;
    const res = await fetch(`${sim.url}/tokenize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messages: [{ role: 'user', content: prompt }],
        add_generation_prompt: true,
        add_special_tokens: false,
      }),
    });
    expect(await res.json()).toMatchObject({ tokens: tokenize(rendered), max_model_len: 2048 });
    const chat = await collect(adapter, { prompt, promptFormat: 'chat', maxTokens: 6, seed: 9 });
    const again = await collect(adapter, { prompt, promptFormat: 'chat', maxTokens: 6, seed: 9 });
    const raw = await collect(adapter, { prompt, promptFormat: 'raw', maxTokens: 6, seed: 9 });
    expect(chat.outcome).toMatchObject({ reason: 'length', tokensIn: tokenize(rendered).length });
    expect(raw.outcome).toMatchObject({ reason: 'length', tokensIn: tokenize(prompt).length });
    expect(chat.texts.join('')).toBe(again.texts.join(''));
    expect(chat.texts.join('')).not.toBe(raw.texts.join(''));
  });
});
