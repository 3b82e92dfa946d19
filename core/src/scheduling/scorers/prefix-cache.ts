// ORCH-3131: prefix-cache-aware scoring. Engines keep the KV of recent prompts and reuse it for a
// new prompt sharing a prefix (llama.cpp slots, vLLM automatic prefix caching), which cuts time to
// first token. Placement remembers which replica recently received which prompt prefix blocks and
// prefers the replica holding the longest prefix of the task's prompt.
//
// - Blocks are fixed-size slices of the prompt as the sidecar sends it; each block's hash chains the
//   previous one's, so a block matches only with everything before it (as an engine's cache does).
//   Placement has no tokenizer, so blocks are characters (default 64, about 16 tokens). A chat
//   pool's sidecar wraps every prompt in the same template header, so prompts sharing a prefix
//   still share a prefix after the template; the format is mixed into the first hash.
// - Per replica a bounded LRU of block hashes (Map insertion order); `forget` drops a replica's
//   entries when its engine state is gone (restart, reload, drain, removal).
// - Balanced against load: a candidate whose busy fraction is `max_load_gap` or more above the
//   least busy candidate's scores 0 here, so one hot prefix spreads to other replicas (which then
//   hold it too) instead of pinning everything to one; when every replica is equally busy (at the
//   knee) the prefix decides. The gap is relative because scorers see the whole candidate list.
import { CoreError } from '../../errors.js';
import type { Candidate, PlacementContext, Scorer } from '../plugins.js';

interface PrefixCacheParams {
  /** Characters per block (default 64). */
  blockChars: number;
  /** Block hashes remembered per replica (default 16384). */
  blocksPerReplica: number;
  /** At most this many leading blocks of a prompt are hashed (default 512). */
  maxBlocks: number;
  /** Candidates this much busier than the least busy one score 0 (default 0.5). */
  maxLoadGap: number;
}

const DEFAULTS: PrefixCacheParams = {
  blockChars: 64,
  blocksPerReplica: 16_384,
  maxBlocks: 512,
  maxLoadGap: 0.5,
};

/** Holders of a prompt's prefix added to the candidate list, longest match first. */
const EXTRA_CANDIDATES = 4;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Chained FNV-1a over fixed-size blocks: hash i covers blocks 0..i. Only complete blocks count. */
export function blockHashes(
  prompt: string,
  format: string,
  blockChars: number,
  maxBlocks: number,
): number[] {
  const out: number[] = [];
  let h = FNV_OFFSET;
  for (let i = 0; i < format.length; i++) h = Math.imul(h ^ format.charCodeAt(i), FNV_PRIME);
  const blocks = Math.min(maxBlocks, Math.floor(prompt.length / blockChars));
  for (let b = 0; b < blocks; b++) {
    const end = (b + 1) * blockChars;
    for (let i = b * blockChars; i < end; i++) h = Math.imul(h ^ prompt.charCodeAt(i), FNV_PRIME);
    out.push(h >>> 0);
  }
  return out;
}

function intParam(params: Record<string, unknown>, key: string, def: number, min: number): number {
  const v = params[key];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new CoreError('INVALID_PARAMS', `prefix-cache: ${key} must be an integer >= ${min}`);
  }
  return v;
}

export function prefixCacheParams(params: Record<string, unknown>): PrefixCacheParams {
  for (const key of Object.keys(params)) {
    if (!['block_chars', 'blocks_per_replica', 'max_blocks', 'max_load_gap'].includes(key)) {
      throw new CoreError('INVALID_PARAMS', `prefix-cache: unknown param ${key}`);
    }
  }
  const t = params['max_load_gap'];
  if (t !== undefined && !(typeof t === 'number' && t > 0 && t <= 1)) {
    throw new CoreError('INVALID_PARAMS', 'prefix-cache: max_load_gap must be in (0, 1]');
  }
  return {
    blockChars: intParam(params, 'block_chars', DEFAULTS.blockChars, 1),
    blocksPerReplica: intParam(params, 'blocks_per_replica', DEFAULTS.blocksPerReplica, 1),
    maxBlocks: intParam(params, 'max_blocks', DEFAULTS.maxBlocks, 1),
    maxLoadGap: (t as number | undefined) ?? DEFAULTS.maxLoadGap,
  };
}

export class PrefixCacheScorer implements Scorer {
  readonly name = 'prefix-cache';
  /** replica id → block hash → true, least recently used first. */
  private readonly held = new Map<string, Map<number, true>>();
  /** The last context hashed: score, extraCandidates and placed see the same task in a row. */
  private memo: { ctx: PlacementContext; hashes: number[] } | undefined;

  constructor(readonly params: PrefixCacheParams = DEFAULTS) {}

  private hashes(ctx: PlacementContext): number[] {
    if (this.memo?.ctx === ctx) return this.memo.hashes;
    const hashes = blockHashes(
      ctx.prompt ?? '',
      ctx.promptFormat ?? 'raw',
      this.params.blockChars,
      this.params.maxBlocks,
    );
    this.memo = { ctx, hashes };
    return hashes;
  }

  /** Leading blocks of `hashes` the replica holds. */
  matched(replicaId: string, hashes: readonly number[]): number {
    const lru = this.held.get(replicaId);
    if (!lru) return 0;
    let n = 0;
    while (n < hashes.length && lru.has(hashes[n] as number)) n++;
    return n;
  }

  score(ctx: PlacementContext, candidates: readonly Candidate[]): number[] {
    const hashes = this.hashes(ctx);
    if (hashes.length === 0) return candidates.map(() => 0);
    let least = Infinity;
    for (const c of candidates) least = Math.min(least, c.load);
    return candidates.map((c) =>
      c.load - least >= this.params.maxLoadGap
        ? 0
        : this.matched(c.replicaId, hashes) / hashes.length,
    );
  }

  /** The replicas holding the prompt's first block, so they are scored even when not least loaded. */
  extraCandidates(ctx: PlacementContext): string[] {
    const hashes = this.hashes(ctx);
    const first = hashes[0];
    if (first === undefined) return [];
    const holders: { id: string; n: number }[] = [];
    for (const [id, lru] of this.held) {
      if (lru.has(first)) holders.push({ id, n: this.matched(id, hashes) });
    }
    // Longest match first, then replica id: deterministic whatever the Map's history.
    holders.sort((a, b) => b.n - a.n || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return holders.slice(0, EXTRA_CANDIDATES).map((h) => h.id);
  }

  placed(ctx: PlacementContext, replicaId: string): void {
    const hashes = this.hashes(ctx);
    if (hashes.length === 0) return;
    let lru = this.held.get(replicaId);
    if (!lru) {
      lru = new Map();
      this.held.set(replicaId, lru);
    }
    for (const h of hashes) {
      lru.delete(h);
      lru.set(h, true);
    }
    const cap = this.params.blocksPerReplica;
    for (const h of lru.keys()) {
      if (lru.size <= cap) break;
      lru.delete(h);
    }
  }

  forget(replicaId: string): void {
    this.held.delete(replicaId);
  }

  /** Block hashes remembered for a replica (tests, snapshots). */
  heldBlocks(replicaId: string): number {
    return this.held.get(replicaId)?.size ?? 0;
  }
}
