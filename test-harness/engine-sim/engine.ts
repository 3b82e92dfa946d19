// The simulated engine core: slots, a deferred queue, prefix cache, timing and faults. HTTP
// front-ends (llama.cpp native, OpenAI-style) drive it through `run` and a sink.
import type { SimConfig, SimFaults } from './config.js';
import { generate, hash32, prng, type GeneratedToken } from './model.js';
import { PrefixCache } from './prefix-cache.js';

interface SimRequest {
  prompt: readonly number[];
  seed: number;
  temperature: number;
  maxTokens: number;
  cachePrompt: boolean;
}

interface SimStats {
  promptN: number;
  cacheN: number;
  promptMs: number;
  predictedN: number;
  predictedMs: number;
  stopType: 'eos' | 'limit';
  slotId: number;
}

interface SimSink {
  token(t: GeneratedToken, index: number): void;
  /** Engine-side failure inside the stream. */
  error(message: string): void;
  /** Cut the connection without a final event. */
  drop(): void;
  done(stats: SimStats): void;
}

interface SlotView {
  id: number;
  processing: boolean;
  seed: number;
  nDecoded: number;
  nRemain: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', finish);
      resolve();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}

export class SimEngine {
  faults: SimFaults = {};
  readonly startedAt = Date.now();
  readonly counters = {
    promptTokens: 0,
    promptMs: 0,
    predicted: 0,
    predictedMs: 0,
    requests: 0,
    cacheHits: 0,
    cacheQueries: 0,
  };
  /**
   * performance.now() when the latest request reached run() and when it produced its first
   * token: an in-process bench reads them on the client's clock for its per-hop breakdown.
   */
  readonly last = { requestAt: Number.NaN, firstTokenAt: Number.NaN };
  private readonly cache: PrefixCache;
  private readonly slots: SlotView[];
  private readonly waiters: (() => void)[] = [];

  constructor(readonly config: SimConfig) {
    this.cache = new PrefixCache(config.cacheBlock, config.cacheCapacity);
    this.slots = Array.from({ length: config.slots }, (_, id) => ({
      id,
      processing: false,
      seed: -1,
      nDecoded: 0,
      nRemain: 0,
    }));
  }

  get loading(): boolean {
    return Date.now() - this.startedAt < this.config.startupMs;
  }

  get busy(): number {
    return this.slots.filter((s) => s.processing).length;
  }

  get deferred(): number {
    return this.waiters.length;
  }

  /** Drops every cached prompt (a bench starts each run cold). */
  clearCache(): void {
    this.cache.clear();
  }

  slotViews(): readonly SlotView[] {
    return this.slots;
  }

  kvUsage(): number {
    const used = this.slots.reduce((n, s) => n + (s.processing ? s.nDecoded : 0), 0);
    return Math.min(1, used / (this.config.ctx * this.config.slots));
  }

  private async acquire(signal: AbortSignal): Promise<SlotView | undefined> {
    for (;;) {
      const free = this.slots.find((s) => !s.processing);
      if (free) return free;
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      if (signal.aborted) {
        return undefined;
      }
    }
  }

  private release(slot: SlotView): void {
    slot.processing = false;
    slot.nRemain = 0;
    this.waiters.shift()?.();
  }

  /** Inter-token latency now: base × load slowdown × fault factor, with seeded jitter. */
  private itl(rnd: () => number): number {
    const c = this.config;
    const frac = c.slots <= 1 ? 0 : (this.busy - 1) / (c.slots - 1);
    const load = 1 + (c.loadFactor - 1) * Math.max(0, frac);
    const sd = Math.min(0.3, c.jitter);
    // Sum of uniforms ≈ Gaussian; capped so latency never goes negative.
    const g = (rnd() + rnd() + rnd() - 1.5) * 2;
    const jitter = Math.max(-0.3, Math.min(0.3, g * sd));
    return c.itlMs * load * (this.faults.slowTokens ?? 1) * (1 + jitter);
  }

  /** Runs one request to its end; `signal` is the client going away. */
  async run(req: SimRequest, sink: SimSink, signal: AbortSignal): Promise<void> {
    this.last.requestAt = performance.now();
    const slot = await this.acquire(signal);
    if (!slot) return;
    const c = this.config;
    const f = this.faults;
    this.counters.requests += 1;
    slot.processing = true;
    slot.seed = req.seed;
    slot.nDecoded = 0;
    const out = generate(
      c.seed,
      req.seed,
      req.prompt,
      req.temperature,
      req.maxTokens,
      c.noEos === true,
    );
    slot.nRemain = out.tokens.length;
    const rnd = prng(hash32('timing', c.seed, req.seed, req.prompt.length));
    let cached = 0;
    if (req.cachePrompt) {
      this.counters.cacheQueries += req.prompt.length;
      cached = this.cache.lookup(req.prompt);
      this.counters.cacheHits += cached;
    }
    // An engine that ignores disconnects keeps decoding: timing runs on, output goes nowhere.
    const gone = f.ignoreCancel ? undefined : signal;
    try {
      const promptMs = c.prefillOverheadMs + (req.prompt.length - cached) * c.prefillMsPerToken;
      await sleep(promptMs, gone);
      this.counters.promptTokens += req.prompt.length - cached;
      this.counters.promptMs += promptMs;
      if (req.cachePrompt) this.cache.insert(req.prompt);
      const t0 = Date.now();
      for (let i = 0; i < out.tokens.length; i++) {
        if (gone?.aborted) return;
        if (i > 0) await sleep(this.itl(rnd), gone);
        if (gone?.aborted) return;
        if (f.hang && i >= f.hang.afterTokens) {
          await sleep(2 ** 31 - 1, signal);
          return;
        }
        if (f.errorMidStream && i >= f.errorMidStream.afterTokens) {
          if (!signal.aborted) sink.error(f.errorMidStream.message ?? 'simulated engine failure');
          return;
        }
        if (f.disconnect && i >= f.disconnect.afterTokens) {
          if (!signal.aborted) sink.drop();
          return;
        }
        const tok = out.tokens[i];
        if (!tok) break;
        slot.nDecoded = i + 1;
        slot.nRemain = out.tokens.length - i - 1;
        this.counters.predicted += 1;
        if (i === 0) this.last.firstTokenAt = performance.now();
        if (!signal.aborted) sink.token(tok, i);
      }
      const predictedMs = Date.now() - t0;
      this.counters.predictedMs += predictedMs;
      if (!signal.aborted) {
        sink.done({
          promptN: req.prompt.length - cached,
          cacheN: cached,
          promptMs,
          predictedN: out.tokens.length,
          predictedMs,
          stopType: out.eos ? 'eos' : 'limit',
          slotId: slot.id,
        });
      }
    } finally {
      if (signal.aborted && f.holdSlotAfterAbortMs) await sleep(f.holdSlotAfterAbortMs);
      this.release(slot);
    }
  }
}
