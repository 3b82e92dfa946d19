// The simulator's "model": a deterministic tokenizer and token generator. Same (sim seed, request
// seed, prompt, temperature) → same tokens, on every replica; greedy requests ignore the seed, as
// a real greedy decode would.
import { createHash } from 'node:crypto';

const VOCAB = [
  ' the',
  ' a',
  ' of',
  ' and',
  ' to',
  ' in',
  ' is',
  ' was',
  ' it',
  ' that',
  ' on',
  ' for',
  ' with',
  ' as',
  ' at',
  ' by',
  ' from',
  ' light',
  ' river',
  ' stone',
  ' quiet',
  ' morning',
  ' city',
  ' old',
  ' small',
  ' bright',
  ' road',
  ' wind',
  ' sea',
  ' green',
  ' house',
  ' time',
  ',',
  '.',
  ' and',
  ' then',
  ' she',
  ' he',
  ' they',
  ' we',
  ' long',
  ' ago',
  ' there',
  ' lived',
] as const;
const VOCAB_BASE = 100;

/** splitmix32-style PRNG: small, fast, reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  };
}

export function hash32(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0);
}

/** Prompt → token ids: words and punctuation, each hashed to an id (stable across replicas). */
export function tokenize(text: string): number[] {
  const pieces = text.match(/\s*[\p{L}\p{N}]+|\s*[^\s\p{L}\p{N}]|\s+$/gu) ?? [];
  return pieces.map((p) => VOCAB_BASE + VOCAB.length + (hash32('tok', p) % 30_000));
}

export interface GeneratedToken {
  id: number;
  text: string;
}

/**
 * The full output a request would produce if never stopped: up to `maxTokens` tokens, ending
 * early with EOS at a length drawn from the same seeded stream.
 */
export function generate(
  simSeed: number,
  requestSeed: number,
  prompt: readonly number[],
  temperature: number,
  maxTokens: number,
  noEos = false,
): { tokens: GeneratedToken[]; eos: boolean } {
  const seed = temperature <= 0 ? 0 : requestSeed;
  const rnd = prng(hash32('gen', simSeed, seed, prompt.join(','), temperature));
  // Natural length 8..96 tokens; a cap below it ends by `limit`.
  const drawn = 8 + Math.floor(rnd() * 89);
  const natural = noEos ? Number.POSITIVE_INFINITY : drawn;
  const n = Math.min(natural, maxTokens);
  const tokens: GeneratedToken[] = [];
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rnd() * VOCAB.length);
    tokens.push({ id: VOCAB_BASE + k, text: VOCAB[k] ?? ' ' });
  }
  return { tokens, eos: natural <= maxTokens };
}
