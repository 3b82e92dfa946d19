// The baseline of the overhead bench (ORCH-5008): one streaming POST /completion straight to the
// same llama-server the sidecar drives, with the body the sidecar would send for sampler profile
// v1. The fields mirror sidecar/src/adapters/llamacpp/{request,sampler-profiles}.ts (pinned by
// sidecar/test/bench-baseline.test.ts: test-harness cannot import the sidecar); the bench
// checks at run time that both paths produce the same text, so a drift here shows up as
// `identical_text: false` in the report instead of silently skewing the comparison.
import { SseParser } from '@llama-orch/contracts';

const V1_SAMPLER = {
  samplers: ['penalties', 'top_k', 'top_p', 'min_p', 'temperature'],
  temperature: 0.8,
  top_k: 40,
  top_p: 0.95,
  min_p: 0.05,
  dynatemp_range: 0,
  dynatemp_exponent: 1,
  typical_p: 1,
  xtc_probability: 0,
  xtc_threshold: 0.1,
  top_n_sigma: -1,
  repeat_penalty: 1,
  repeat_last_n: 64,
  presence_penalty: 0,
  frequency_penalty: 0,
  dry_multiplier: 0,
  dry_base: 1.75,
  dry_allowed_length: 2,
  dry_penalty_last_n: 64,
  adaptive_target: -1,
  adaptive_decay: 0.9,
  mirostat: 0,
  mirostat_tau: 5,
  mirostat_eta: 0.1,
  min_keep: 0,
  n_probs: 0,
  ignore_eos: false,
} as const;

export interface StreamSample {
  /** ms from sending the first request to the first token. */
  ttftMs: number;
  /** ms from sending the first request to the end of the stream. */
  totalMs: number;
  tokens: number;
  /** ms between the first and the last token. */
  decodeMs: number;
  text: string;
}

export function completionBody(prompt: string, maxTokens: number, seed: number): object {
  return {
    ...V1_SAMPLER,
    samplers: [...V1_SAMPLER.samplers],
    prompt,
    stream: true,
    seed,
    n_predict: maxTokens,
    id_slot: 0,
    cache_prompt: false,
    return_tokens: true,
    n_indent: 0,
    stop: [],
  };
}

/** One direct streaming completion; llama-server queues it itself when its slot is busy. */
export async function directCompletion(
  engineUrl: string,
  prompt: string,
  maxTokens: number,
  seed: number,
  timeoutMs = 120_000,
): Promise<StreamSample> {
  const t0 = performance.now();
  const res = await fetch(`${engineUrl}/completion`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(completionBody(prompt, maxTokens, seed)),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 200 || !res.body) {
    throw new Error(`direct /completion answered ${res.status}: ${await res.text()}`);
  }
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let first = Number.NaN;
  let last = Number.NaN;
  let tokens = 0;
  let text = '';
  for await (const chunk of res.body) {
    for (const ev of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) {
      const data = JSON.parse(ev.data) as { content?: string; stop?: boolean };
      // Same rule as the sidecar: a token event is a chunk with text (ids-only chunks hold
      // back a multi-byte character and produce no event).
      if (typeof data.content === 'string' && data.content.length > 0 && data.stop !== true) {
        const at = performance.now() - t0;
        if (Number.isNaN(first)) first = at;
        last = at;
        tokens += 1;
        text += data.content;
      }
    }
  }
  const totalMs = performance.now() - t0;
  return { ttftMs: first, totalMs, tokens, decodeMs: last - first, text };
}
