// The committed determinism corpus (ORCH-5007): 64 (seed, prompt) pairs, seeds 1001-1064. Loaded
// and checked here so a hand edit that breaks the seed design fails loudly, not silently.
import { readFileSync } from 'node:fs';

export interface CorpusEntry {
  seed: number;
  prompt: string;
}

interface Corpus {
  version: number;
  maxTokens: number;
  samplerProfileVersion: string;
  entries: CorpusEntry[];
}

export const CORPUS_PATH = new URL('./corpus.json', import.meta.url);
const FIRST_SEED = 1001;
const CORPUS_SIZE = 64;

interface RawCorpus {
  version?: unknown;
  max_tokens?: unknown;
  sampler_profile_version?: unknown;
  entries?: unknown;
}

function isEntry(v: unknown): v is CorpusEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return Number.isInteger(e.seed) && typeof e.prompt === 'string' && e.prompt.trim() !== '';
}

/** Parses and checks a corpus: 64 entries, seeds FIRST_SEED.. in order, prompts unique. */
export function parseCorpus(text: string): Corpus {
  const raw = JSON.parse(text) as RawCorpus;
  const entries = raw.entries;
  if (!Array.isArray(entries) || !entries.every(isEntry)) {
    throw new Error('corpus: entries must be {seed: integer, prompt: non-empty string}[]');
  }
  if (entries.length !== CORPUS_SIZE) {
    throw new Error(`corpus: ${entries.length} entries, want ${CORPUS_SIZE}`);
  }
  entries.forEach((e, i) => {
    if (e.seed !== FIRST_SEED + i) throw new Error(`corpus: entry ${i} has seed ${e.seed}`);
  });
  if (new Set(entries.map((e) => e.prompt)).size !== entries.length) {
    throw new Error('corpus: prompts must be unique');
  }
  const maxTokens = raw.max_tokens;
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 32) {
    throw new Error('corpus: max_tokens must be an integer >= 32 (the prefix check needs 32)');
  }
  if (typeof raw.sampler_profile_version !== 'string' || !Number.isInteger(raw.version)) {
    throw new Error('corpus: version and sampler_profile_version are required');
  }
  return {
    version: raw.version as number,
    maxTokens: maxTokens as number,
    samplerProfileVersion: raw.sampler_profile_version,
    entries,
  };
}

export function loadCorpus(): Corpus {
  return parseCorpus(readFileSync(CORPUS_PATH, 'utf8'));
}
