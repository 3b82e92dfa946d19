// Simulator knobs. Timing follows llm-d-inference-sim's model (shared/notes/engines.md §6):
// TTFT = overhead + uncached prompt tokens × prefill cost; ITL with Gaussian-ish jitter (capped
// at 30 %) that grows linearly to `loadFactor` as busy slots reach the slot limit.

export interface SimConfig {
  /** Seeds everything random; same seed → same tokens and the same canary on every replica. */
  seed: number;
  /** Reported as llama.cpp build_info; ORCH-4020 wants the `sim-` prefix. */
  version: string;
  model: string;
  /** Reported as /props model_path (default `sim://<model>`). */
  modelPath?: string;
  slots: number;
  ctx: number;
  /** /health (and the API) answer 503 "Loading model" this long after start. */
  startupMs: number;
  prefillOverheadMs: number;
  prefillMsPerToken: number;
  itlMs: number;
  /** Relative std-dev of the inter-token latency, capped at 0.3. */
  jitter: number;
  /** ITL multiplier when every slot is busy (1 = no slowdown). */
  loadFactor: number;
  cacheBlock: number;
  cacheCapacity: number;
  /** Every request decodes exactly its token limit (no early EOS): fixed-length streams. */
  noEos?: boolean;
  /**
   * Reuse cached prompt prefixes whatever the client's `cache_prompt` says, like an engine with
   * automatic prefix caching (vLLM, SGLang), where a cache hit does not change the output. The
   * llama.cpp sidecar sends `cache_prompt: false` (ORCH-4016), which llama-server honours.
   */
  alwaysCachePrompt?: boolean;
}

export interface SimFaults {
  /** No more tokens after this many (the stream stays open). */
  hang?: { afterTokens: number };
  /** Multiplies the inter-token latency. */
  slowTokens?: number;
  /** Drops the connection after this many tokens. */
  disconnect?: { afterTokens: number };
  /** Keeps decoding (slot busy) after the client went away, like llama.cpp #24496. */
  ignoreCancel?: boolean;
  /** After a client went away the slot stays busy this much longer (a stuck abort). */
  holdSlotAfterAbortMs?: number;
  /** An engine `error:` event after this many tokens. */
  errorMidStream?: { afterTokens: number; message?: string };
  /** Every completion fails with HTTP 500 (a model that loads but cannot decode). */
  noDecode?: boolean;
  /** GET /metrics answers 404 (`missing`), 200 with text that is not Prometheus (`garbage`), or
   * never (`stalled`: an engine too busy to answer, so the client's probe times out). */
  telemetry?: 'missing' | 'garbage' | 'stalled';
  /** The first completion request crashes the engine (every connection reset). */
  crashOnRequest?: boolean;
}

export const DEFAULT_SIM_CONFIG: SimConfig = {
  seed: 1,
  version: 'sim-0.1.0',
  model: 'sim-smollm2-135m',
  slots: 1,
  ctx: 2048,
  startupMs: 0,
  prefillOverheadMs: 15,
  prefillMsPerToken: 0.4,
  itlMs: 12,
  jitter: 0.1,
  loadFactor: 2,
  cacheBlock: 16,
  cacheCapacity: 64,
};

/**
 * Zero-compute mode for overhead benches: TTFT is exactly `ttftMs` (no per-prompt-token cost), the
 * inter-token gap exactly `itlMs` (no jitter, no load slowdown) and every stream exactly its token
 * limit long, so what a path adds on top of the engine is all that varies.
 */
export function zeroComputeConfig(ttftMs: number, itlMs: number): Partial<SimConfig> {
  return {
    prefillOverheadMs: ttftMs,
    prefillMsPerToken: 0,
    itlMs,
    jitter: 0,
    loadFactor: 1,
    noEos: true,
  };
}

export function simConfig(over: Partial<SimConfig> = {}): SimConfig {
  const c = { ...DEFAULT_SIM_CONFIG, ...over };
  if (!c.version.startsWith('sim-')) c.version = `sim-${c.version}`;
  return c;
}
