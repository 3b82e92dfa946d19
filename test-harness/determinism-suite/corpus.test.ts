import { describe, expect, it } from 'vitest';
import { CORPUS_PATH, loadCorpus, parseCorpus } from './corpus.js';
import { readFileSync } from 'node:fs';

const committed = readFileSync(CORPUS_PATH, 'utf8');

describe('ORCH-5007: the committed determinism corpus', () => {
  it('ORCH-5007: 64 unique prompts with seeds 1001-1064, max_tokens >= 32, sampler profile v1', () => {
    const c = loadCorpus();
    expect(c.entries).toHaveLength(64);
    expect(c.entries[0]?.seed).toBe(1001);
    expect(c.entries[63]?.seed).toBe(1064);
    expect(c.maxTokens).toBeGreaterThanOrEqual(32);
    expect(c.samplerProfileVersion).toBe('v1');
  });

  it('ORCH-5007: a corpus that breaks the seed design is refused', () => {
    const raw = JSON.parse(committed) as { entries: { seed: number; prompt: string }[] };
    const shifted = structuredClone(raw);
    if (shifted.entries[5]) shifted.entries[5].seed = 2000;
    expect(() => parseCorpus(JSON.stringify(shifted))).toThrow(/seed 2000/);
    const dup = structuredClone(raw);
    if (dup.entries[1] && dup.entries[0]) dup.entries[1].prompt = dup.entries[0].prompt;
    expect(() => parseCorpus(JSON.stringify(dup))).toThrow(/unique/);
    const short = { ...raw, entries: raw.entries.slice(0, 63) };
    expect(() => parseCorpus(JSON.stringify(short))).toThrow(/63 entries/);
  });
});
