// Startup canary (ORCH-4017, ORCH-3049): a fixed prompt decoded greedily; the hash of the token
// ids identifies the numeric behaviour of {engine build, model, flags, hardware}. Replicas whose
// hashes differ must never share a replica set.
import { createHash } from 'node:crypto';
import type { EngineAdapter } from '../adapters/types.js';

export const CANARY_PROMPT = 'The three primary colours are';
export const CANARY_MAX_TOKENS = 16;
export const CANARY_PROFILE = 'greedy';

export interface CanaryResult {
  hash: string;
  text: string;
  tokenIds: number[];
  ms: number;
}

export async function runCanary(adapter: EngineAdapter, timeoutMs = 30_000): Promise<CanaryResult> {
  const t0 = Date.now();
  const ids: number[] = [];
  let text = '';
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const ev of adapter.generate({
    prompt: CANARY_PROMPT,
    maxTokens: CANARY_MAX_TOKENS,
    seed: 0,
    samplerProfile: CANARY_PROFILE,
    signal,
  })) {
    if (ev.type === 'token') {
      ids.push(...ev.tokenIds);
      text += ev.text;
    } else if (ev.outcome.reason === 'error' || ev.outcome.reason === 'canceled') {
      throw new Error(`canary failed: ${ev.outcome.error?.message ?? ev.outcome.reason}`);
    }
  }
  if (ids.length === 0 && text.length === 0) throw new Error('canary produced no tokens');
  // Token ids when the engine reports them; text otherwise (still deterministic per engine).
  const material = ids.length > 0 ? `ids:${ids.join(',')}` : `text:${text}`;
  const hash = createHash('sha256').update(material).digest('hex');
  return { hash, text, tokenIds: ids, ms: Date.now() - t0 };
}
