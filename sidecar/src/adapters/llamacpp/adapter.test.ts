import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlama, type FakeLlama } from '../../../test/support/fake-llama-server.js';
import type { GenerationEvent, GenerationOutcome } from '../types.js';
import { LlamaCppAdapter } from './adapter.js';

let fake: FakeLlama;
let adapter: LlamaCppAdapter;

beforeAll(async () => {
  fake = await startFakeLlama({ tokens: [] });
  adapter = new LlamaCppAdapter(fake.baseUrl);
});
afterAll(async () => {
  await fake.close();
});

async function collect(
  signal = new AbortController().signal,
  onToken?: (n: number) => void,
  promptFormat?: 'raw' | 'chat',
) {
  const events: GenerationEvent[] = [];
  for await (const ev of adapter.generate({
    prompt: 'hi',
    ...(promptFormat ? { promptFormat } : {}),
    maxTokens: 8,
    seed: 42,
    samplerProfile: 'v1',
    signal,
  })) {
    events.push(ev);
    if (ev.type === 'token') onToken?.(events.length);
  }
  const texts = events.flatMap((e) => (e.type === 'token' ? [e.text] : []));
  const outcomes = events.flatMap((e) => (e.type === 'outcome' ? [e.outcome] : []));
  expect(outcomes).toHaveLength(1);
  expect(events.at(-1)?.type).toBe('outcome');
  return { texts, outcome: outcomes[0] as GenerationOutcome };
}

describe('ORCH-4014: llama.cpp adapter against a fake engine', () => {
  it('ORCH-4016: sends every sampler field, seed, n_predict, id_slot 0 and cache_prompt false', async () => {
    fake.script = { tokens: ['a'] };
    await collect();
    const body = fake.requests.at(-1) ?? {};
    expect(body).toMatchObject({
      prompt: 'hi',
      stream: true,
      seed: 42,
      n_predict: 8,
      id_slot: 0,
      cache_prompt: false,
      samplers: ['penalties', 'top_k', 'top_p', 'min_p', 'temperature'],
      temperature: 0.8,
      top_k: 40,
      top_p: 0.95,
      min_p: 0.05,
    });
    for (const k of [
      'typical_p',
      'repeat_penalty',
      'dry_multiplier',
      'xtc_probability',
      'mirostat',
      'top_n_sigma',
    ]) {
      expect(body).toHaveProperty(k);
    }
  });

  it("ORCH-3102: prompt_format chat decodes the engine's own rendering of one user turn", async () => {
    fake.script = { tokens: ['a'] };
    const before = fake.templateRequests.length;
    const { outcome } = await collect(undefined, undefined, 'chat');
    expect(outcome.reason).toBe('stop');
    expect(fake.templateRequests.slice(before)).toEqual([
      { messages: [{ role: 'user', content: 'hi' }] },
    ]);
    expect(fake.requests.at(-1)).toMatchObject({
      prompt: '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
      seed: 42,
      cache_prompt: false,
    });
  });

  it('ORCH-3102: raw (and absent) sends the prompt unchanged, with no template call', async () => {
    fake.script = { tokens: ['a'] };
    const before = fake.templateRequests.length;
    await collect(undefined, undefined, 'raw');
    await collect();
    expect(fake.templateRequests.length).toBe(before);
    expect(fake.requests.at(-1)).toMatchObject({ prompt: 'hi' });
  });

  it('ORCH-3102: an engine without /apply-template ends the task with a coded error, no decode', async () => {
    fake.script = { tokens: ['a'], template: 'missing' };
    const sent = fake.requests.length;
    const { texts, outcome } = await collect(undefined, undefined, 'chat');
    expect(texts).toEqual([]);
    expect(outcome.reason).toBe('error');
    expect(outcome.error?.message).toMatch(/^chat template: engine HTTP 404/);
    expect(fake.requests.length).toBe(sent);
  });

  it('ORCH-4014: events split across chunks with `:` comments still yield every token', async () => {
    fake.script = { tokens: ['Hé', 'llo', ' wörld'], splitBytes: 3, comments: true };
    const { texts, outcome } = await collect();
    expect(texts).toEqual(['Hé', 'llo', ' wörld']);
    expect(outcome).toMatchObject({ reason: 'stop', tokensOut: 3, tokensIn: 5, decodeMs: 12.5 });
  });

  it('ORCH-4013: a stream that ended leaves its engine connection warm for the next one', async () => {
    fake.script = { tokens: ['a', 'b'] };
    await collect();
    const before = fake.connections;
    await collect();
    await collect();
    expect(fake.connections).toBe(before);
  });

  it('ORCH-4014: stop_type limit maps to reason length', async () => {
    fake.script = { tokens: ['x', 'y'], stopType: 'limit' };
    expect((await collect()).outcome.reason).toBe('length');
  });

  it('ORCH-4014: malformed JSON becomes a coded error outcome, not a silent close', async () => {
    fake.script = { tokens: ['a', 'b', 'c'], failAfter: { tokens: 1, kind: 'malformed' } };
    const { texts, outcome } = await collect();
    expect(texts).toEqual(['a']);
    expect(outcome.reason).toBe('error');
    expect(outcome.error?.code).toBe('INTERNAL');
  });

  it('ORCH-4014: an engine `error:` event becomes a coded error outcome', async () => {
    fake.script = { tokens: ['a', 'b'], failAfter: { tokens: 1, kind: 'error' } };
    const { outcome } = await collect();
    expect(outcome.error?.code).toBe('INTERNAL');
    expect(outcome.error?.message).toContain('scripted engine error');
  });

  it('ORCH-2028: connection reset mid-stream → WORKER_RESET (retriable)', async () => {
    fake.script = { tokens: ['a', 'b', 'c'], delayMs: 20, failAfter: { tokens: 2, kind: 'reset' } };
    const { texts, outcome } = await collect();
    expect(texts).toEqual(['a', 'b']);
    expect(outcome).toMatchObject({
      reason: 'error',
      error: { code: 'WORKER_RESET', retriable: true },
    });
  });

  it('ORCH-2028: engine unreachable → WORKER_RESET', async () => {
    const dead = new LlamaCppAdapter('http://127.0.0.1:1');
    const events: GenerationEvent[] = [];
    for await (const ev of dead.generate({
      prompt: 'x',
      maxTokens: 1,
      seed: 1,
      samplerProfile: 'v1',
      signal: new AbortController().signal,
    })) {
      events.push(ev);
    }
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'outcome',
      outcome: { error: { code: 'WORKER_RESET' } },
    });
  });

  it('ORCH-4014: HTTP 400 from the engine → INVALID_PARAMS; unknown profile → INVALID_PARAMS', async () => {
    fake.script = { tokens: [], status: 400 };
    expect((await collect()).outcome.error?.code).toBe('INVALID_PARAMS');
    const events: GenerationEvent[] = [];
    for await (const ev of adapter.generate({
      prompt: 'x',
      maxTokens: 1,
      seed: 1,
      samplerProfile: 'v999',
      signal: new AbortController().signal,
    })) {
      events.push(ev);
    }
    expect(events[0]).toMatchObject({
      outcome: { reason: 'error', error: { code: 'INVALID_PARAMS' } },
    });
  });

  it('ORCH-4013: abort mid-stream → canceled outcome and the engine sees the disconnect', async () => {
    fake.script = { tokens: Array.from({ length: 50 }, (_, i) => `t${i}`), delayMs: 10 };
    const ac = new AbortController();
    const { texts, outcome } = await collect(ac.signal, (n) => {
      if (n === 3) ac.abort();
    });
    expect(outcome.reason).toBe('canceled');
    expect(texts.length).toBeLessThan(10);
    const deadline = Date.now() + 2000;
    while (fake.processing && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fake.processing).toBe(false);
  });

  it('ORCH-3054: identity, load and determinism probes', async () => {
    const id = await adapter.identify();
    expect(id).toMatchObject({
      engine: 'llamacpp',
      engineVersion: 'b9999-fake',
      ctxMax: 2048,
      slots: 1,
    });
    const load = await adapter.load();
    expect(load).toMatchObject({ slotsTotal: 1, slotsBusy: 0, running: 0, waiting: 0 });
    const det = await adapter.checkDeterminism(undefined);
    expect(det.compliant).toBe(false);
    expect(det.reasons.join(' ')).toContain('not launched by this sidecar');
    const ok = await adapter.checkDeterminism({
      args: ['-np', '1', '--no-cont-batching', '-t', '2', '-b', '2048', '-ub', '512', '-c', '2048'],
      ctx: 2048,
    });
    expect(ok).toEqual({ compliant: true, reasons: [] });
    expect(
      (
        await adapter.checkDeterminism({
          args: ['-np', '1', '--no-cont-batching', '-t', '2', '-b', '1', '-ub', '1', '-c', '4096'],
          ctx: 4096,
        })
      ).reasons.join(' '),
    ).toContain('n_ctx=2048');
  });
});
