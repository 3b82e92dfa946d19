// Test helper for adapter suites: runs one generation and returns its texts and single outcome.
import type {
  EngineAdapter,
  GenerationOutcome,
  GenerationRequest,
} from '../../src/adapters/types.js';

interface Collected {
  texts: string[];
  tokenIds: number[];
  outcome: GenerationOutcome;
  /** Number of outcome events seen (must be exactly 1). */
  outcomes: number;
  ms: number;
}

export async function collect(
  adapter: EngineAdapter,
  over: Partial<GenerationRequest> = {},
  onToken?: (n: number, abort: () => void) => void,
): Promise<Collected> {
  const ac = new AbortController();
  const t0 = Date.now();
  const texts: string[] = [];
  const tokenIds: number[] = [];
  const outcomes: GenerationOutcome[] = [];
  for await (const ev of adapter.generate({
    prompt: 'The capital of France is',
    maxTokens: 4,
    seed: 42,
    samplerProfile: 'v1',
    signal: ac.signal,
    ...over,
  })) {
    if (ev.type === 'token') {
      texts.push(ev.text);
      tokenIds.push(...ev.tokenIds);
      onToken?.(texts.length, () => ac.abort());
    } else {
      outcomes.push(ev.outcome);
    }
  }
  const outcome = outcomes[0];
  if (!outcome) throw new Error('stream ended without an outcome (ORCH-4014)');
  return { texts, tokenIds, outcome, outcomes: outcomes.length, ms: Date.now() - t0 };
}
