import { afterAll, describe, expect, it } from 'vitest';
import { startEngineSim, type EngineSim } from './index.js';
import { PrefixCache } from './prefix-cache.js';

const sims: EngineSim[] = [];
async function sim(...args: Parameters<typeof startEngineSim>): Promise<EngineSim> {
  const s = await startEngineSim(...args);
  sims.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

interface Streamed {
  events: Record<string, unknown>[];
  errors: string[];
  firstMs: number;
  gaps: number[];
  failed?: string;
}

/** Reads a llama.cpp native /completion stream; `abortAfter` closes the connection early. */
async function stream(url: string, body: object, abortAfter?: number): Promise<Streamed> {
  const ac = new AbortController();
  const t0 = Date.now();
  const out: Streamed = { events: [], errors: [], firstMs: -1, gaps: [] };
  let last = 0;
  try {
    const res = await fetch(`${url}/completion`, {
      method: 'POST',
      body: JSON.stringify({ stream: true, return_tokens: true, ...body }),
      signal: ac.signal,
    });
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString('utf8');
      let i = buf.indexOf('\n\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const now = Date.now() - t0;
        if (line.startsWith('error: ')) out.errors.push(line.slice(7));
        else if (line.startsWith('data: ')) {
          out.events.push(JSON.parse(line.slice(6)) as Record<string, unknown>);
          if (out.firstMs < 0) out.firstMs = now;
          else out.gaps.push(now - last);
          last = now;
        }
        i = buf.indexOf('\n\n');
      }
      if (abortAfter !== undefined && out.events.length >= abortAfter) ac.abort();
    }
  } catch (err) {
    out.failed = String(err);
  }
  return out;
}
const text = (s: Streamed): string => s.events.map((e) => String(e.content ?? '')).join('');
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

describe('ORCH-3051: engine simulator (llama.cpp native API)', () => {
  it('ORCH-3002: 503 "Loading model" during startup, then /health, /props (sim- build_info), /slots, /metrics', async () => {
    const s = await sim({ config: { startupMs: 400 } });
    const loading = await fetch(`${s.url}/health`);
    expect(loading.status).toBe(503);
    expect(await loading.json()).toEqual({
      error: { code: 503, message: 'Loading model', type: 'unavailable_error' },
    });
    await new Promise((r) => setTimeout(r, 450));
    expect(await (await fetch(`${s.url}/health`)).json()).toEqual({ status: 'ok' });
    const props = (await (await fetch(`${s.url}/props`)).json()) as Record<string, unknown>;
    expect(props).toMatchObject({
      total_slots: 1,
      build_info: 'sim-0.1.0',
      endpoint_metrics: true,
    });
    const slots = (await (await fetch(`${s.url}/slots`)).json()) as unknown[];
    expect(slots).toEqual([expect.objectContaining({ id: 0, n_ctx: 2048, is_processing: false })]);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    for (const name of [
      'llamacpp:prompt_tokens_total',
      'llamacpp:requests_processing',
      'llamacpp:requests_deferred',
      'vllm:num_requests_running',
    ]) {
      expect(metrics).toContain(name);
    }
  });

  it('ORCH-4020: the build_info always carries the sim- prefix', async () => {
    const s = await sim({ config: { version: '9.9' } });
    expect(
      ((await (await fetch(`${s.url}/props`)).json()) as { build_info: string }).build_info,
    ).toBe('sim-9.9');
  });

  it('ORCH-3050: deterministic per seed across replicas; another seed differs; greedy ignores the seed', async () => {
    const [a, b] = [await sim(), await sim()];
    const req = { prompt: 'Once upon a time', n_predict: 24, seed: 1234, temperature: 0.8 };
    const [x, y] = [await stream(a.url, req), await stream(b.url, req)];
    expect(text(x).length).toBeGreaterThan(0);
    expect(text(x)).toBe(text(y));
    expect(text(await stream(a.url, { ...req, seed: 99 }))).not.toBe(text(x));
    const g1 = await stream(a.url, { ...req, temperature: 0, seed: 1 });
    const g2 = await stream(b.url, { ...req, temperature: 0, seed: 2 });
    expect(text(g1)).toBe(text(g2));
    const final = x.events.at(-1) ?? {};
    expect(final).toMatchObject({ stop: true, tokens_evaluated: 4 });
    expect(['eos', 'limit']).toContain(final.stop_type);
  });

  it('ORCH-3051: TTFT = overhead + uncached prompt tokens × prefill cost; the prefix cache shortens it', async () => {
    const s = await sim({ config: { prefillOverheadMs: 20, prefillMsPerToken: 4, cacheBlock: 8 } });
    const prompt = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
    const cold = await stream(s.url, { prompt, n_predict: 2, seed: 1 });
    const t1 = cold.events.at(-1)?.timings as Record<string, number>;
    expect(t1.prompt_n).toBe(80);
    expect(t1.prompt_ms).toBeCloseTo(20 + 80 * 4, 5);
    expect(cold.firstMs).toBeGreaterThanOrEqual(300);
    const warm = await stream(s.url, { prompt: `${prompt} and more`, n_predict: 2, seed: 1 });
    const t2 = warm.events.at(-1)?.timings as Record<string, number>;
    // The whole shared 80-token prefix is block-aligned (8): only the 2 new tokens prefill.
    expect(t2.cache_n).toBe(80);
    expect(t2.prompt_n).toBe(2);
    expect(warm.firstMs).toBeLessThan(cold.firstMs);
    // cache_prompt false (what the sidecar sends for determinism) always prefills everything.
    const off = await stream(s.url, { prompt, n_predict: 2, seed: 1, cache_prompt: false });
    expect((off.events.at(-1)?.timings as Record<string, number>).cache_n).toBe(0);
  });

  it('ORCH-3051: inter-token latency slows down as busy slots reach the slot limit', async () => {
    const s = await sim({ config: { slots: 3, itlMs: 25, jitter: 0, loadFactor: 3 } });
    const one = await stream(s.url, { prompt: 'a', n_predict: 10, seed: 3, temperature: 0 });
    const three = await Promise.all(
      [1, 2, 3].map((seed) => stream(s.url, { prompt: 'a', n_predict: 10, seed, temperature: 0 })),
    );
    const alone = mean(one.gaps);
    const loaded = mean(three.flatMap((t) => t.gaps));
    expect(alone).toBeGreaterThanOrEqual(20);
    expect(loaded / alone).toBeGreaterThan(1.8);
  });

  it('ORCH-3019: a full engine defers requests (requests_deferred) until a slot frees', async () => {
    const s = await sim({ config: { slots: 1, itlMs: 10 } });
    const first = stream(s.url, { prompt: 'a', n_predict: 30, seed: 1 });
    await new Promise((r) => setTimeout(r, 60));
    const second = stream(s.url, { prompt: 'b', n_predict: 5, seed: 2 });
    await new Promise((r) => setTimeout(r, 60));
    const m = await (await fetch(`${s.url}/metrics`)).text();
    expect(m).toMatch(/llamacpp:requests_processing 1/);
    expect(m).toMatch(/llamacpp:requests_deferred 1/);
    await Promise.all([first, second]);
  });

  it('ORCH-2028: faults — error mid-stream, disconnect, hang, crash', async () => {
    const s = await sim({ config: { itlMs: 5 } });
    s.setFaults({ errorMidStream: { afterTokens: 3, message: 'boom' } });
    const err = await stream(s.url, { prompt: 'a', n_predict: 20, seed: 1 });
    expect(err.events).toHaveLength(3);
    expect(JSON.parse(err.errors[0] ?? '{}')).toMatchObject({ code: 500, message: 'boom' });
    s.setFaults({ disconnect: { afterTokens: 2 } });
    const cut = await stream(s.url, { prompt: 'a', n_predict: 20, seed: 1 });
    expect(cut.events).toHaveLength(2);
    expect(cut.failed).toBeDefined();
    s.setFaults({ hang: { afterTokens: 1 } });
    const hung = stream(s.url, { prompt: 'a', n_predict: 20, seed: 1 });
    await new Promise((r) => setTimeout(r, 300));
    const slots = (await (await fetch(`${s.url}/slots`)).json()) as { is_processing: boolean }[];
    expect(slots[0]?.is_processing).toBe(true);
    const state = (await (await fetch(`${s.url}/sim/state`)).json()) as { busy: number };
    expect(state.busy).toBe(1);
    await fetch(`${s.url}/sim/crash`, { method: 'POST' });
    expect((await hung).failed).toBeDefined();
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  }, 20_000);

  it('ORCH-3016: slow-token fault set through the control endpoint multiplies the inter-token latency', async () => {
    // 20 ms base so timer slop on a loaded machine cannot hide the factor of 4.
    const s = await sim({ config: { itlMs: 20, jitter: 0 } });
    const req = { prompt: 'a', n_predict: 8, seed: 1, temperature: 0 };
    const normal = mean((await stream(s.url, req)).gaps);
    await fetch(`${s.url}/sim/faults`, { method: 'POST', body: JSON.stringify({ slowTokens: 4 }) });
    const slow = mean((await stream(s.url, req)).gaps);
    expect(slow / normal).toBeGreaterThan(2.5);
  });

  it('ORCH-4013: a disconnect frees the slot at once; ignore-cancel keeps decoding (slot busy)', async () => {
    const s = await sim({ config: { itlMs: 20 } });
    await stream(s.url, { prompt: 'a', n_predict: 60, seed: 1, temperature: 0.8 }, 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.engine.busy).toBe(0);
    s.setFaults({ ignoreCancel: true });
    await stream(s.url, { prompt: 'a', n_predict: 60, seed: 5, temperature: 0 }, 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.engine.busy).toBe(1);
  });

  it('ORCH-3051: vLLM-style OpenAI completions stream with include_usage and [DONE]', async () => {
    const s = await sim({ config: { itlMs: 2 } });
    const res = await fetch(`${s.url}/v1/completions`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'sim-smollm2-135m',
        prompt: 'Hello there',
        max_tokens: 5,
        seed: 3,
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    const lines = (await res.text()).split('\n\n').filter(Boolean);
    expect(lines.at(-1)).toBe('data: [DONE]');
    const usage = JSON.parse((lines.at(-2) ?? '').slice(6)) as {
      choices: unknown[];
      usage: Record<string, number>;
    };
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 5 });
    expect(JSON.parse((lines.at(-3) ?? '').slice(6))).toMatchObject({
      choices: [{ finish_reason: 'length' }],
    });
    expect(await (await fetch(`${s.url}/version`)).json()).toEqual({ version: 'sim-0.1.0' });
  });

  it('ORCH-3051: prefix cache is block-aligned, bounded and LRU', () => {
    const c = new PrefixCache(4, 2);
    c.insert([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(c.lookup([1, 2, 3, 4, 5, 6, 7, 0])).toBe(4);
    expect(c.lookup([1, 2, 3, 4, 5, 6, 7, 8, 9])).toBe(8);
    c.insert([5, 5, 5, 5, 5]);
    c.insert([6, 6, 6, 6, 6]);
    expect(c.size).toBe(2);
    expect(c.lookup([5, 5, 5, 5, 5])).toBe(4);
  });
});
