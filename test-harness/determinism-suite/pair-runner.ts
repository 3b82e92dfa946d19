// Runs one corpus entry on replica A and replica B at the same time (one slot each, one thread
// each), checks where each run really executed, and compares the two streams byte for byte.
import { compareStreams } from './compare.js';
import type { StreamComparison } from './compare.js';
import type { CorpusEntry } from './corpus.js';
import { runPinned } from './orch-client.js';
import type { OnRetry, PinnedRun, RunResult } from './orch-client.js';
import type { ServedByLog } from './served-by.js';

export interface PairTarget {
  edgeUrl: string;
  poolId: string;
  modelRef: string;
  ctx: number;
  samplerProfileVersion: string;
  maxTokens: number;
  replicaA: string;
  replicaB: string;
  runTimeoutMs: number;
  /** Called on each retriable admission refusal (the suite logs why the replica was unready). */
  onRetry?: OnRetry;
}

interface CheckedRun extends RunResult {
  replicaId: string;
  seed: number;
  /** Problems with this run alone (wrong replica, error event, counts disagree). */
  problems: string[];
}

export interface PairResult {
  entry: CorpusEntry;
  seed: number;
  a: CheckedRun;
  b: CheckedRun;
  cmp: StreamComparison;
  /** The terminal events agree too (reason and tokens_out, which counts a final EOS). */
  endEqual: boolean;
}

async function checkedRun(
  t: PairTarget,
  log: ServedByLog,
  prompt: string,
  seed: number,
  replicaId: string,
): Promise<CheckedRun> {
  const spec: PinnedRun = {
    prompt,
    seed,
    maxTokens: t.maxTokens,
    poolId: t.poolId,
    replicaId,
    modelRef: t.modelRef,
    ctx: t.ctx,
    samplerProfileVersion: t.samplerProfileVersion,
  };
  const r = await runPinned(t.edgeUrl, spec, t.runTimeoutMs, t.onRetry);
  const problems: string[] = [];
  if (r.error) problems.push(`error event ${r.error.code}: ${r.error.message}`);
  if (!r.end) problems.push('no end event');
  // tokens_out counts engine tokens: an EOS (and a held-back partial character) has no text
  // event, so it may exceed the token events, never fall short of them.
  else if (r.end.tokens_out < r.tokens.length) {
    problems.push(`end.tokens_out ${r.end.tokens_out} < ${r.tokens.length} token events`);
  } else if (r.end.reason === 'length' && r.end.tokens_out !== t.maxTokens) {
    problems.push(`end reason length with tokens_out ${r.end.tokens_out} != ${t.maxTokens}`);
  }
  // Don't trust the pin: the sidecar that ran the lease logs its own replica id.
  const served = await log.waitFor(r.taskId);
  const where = served.map((s) => s.replicaId);
  if (where.length !== 1 || where[0] !== replicaId) {
    problems.push(`pinned to ${replicaId}, sidecar logs say served by [${where.join(', ')}]`);
  } else if (r.end && served[0]?.tokensOut !== r.end.tokens_out) {
    problems.push(`lease report tokens_out ${served[0]?.tokensOut} != end ${r.end.tokens_out}`);
  }
  return { ...r, replicaId, seed, problems };
}

/** Same prompt, same seed, replica A and replica B concurrently. */
export async function runPair(
  t: PairTarget,
  log: ServedByLog,
  entry: CorpusEntry,
  seed: number,
): Promise<PairResult> {
  const [a, b] = await Promise.all([
    checkedRun(t, log, entry.prompt, seed, t.replicaA),
    checkedRun(t, log, entry.prompt, seed, t.replicaB),
  ]);
  const endEqual = a.end?.reason === b.end?.reason && a.end?.tokens_out === b.end?.tokens_out;
  return { entry, seed, a, b, cmp: compareStreams(a.tokens, b.tokens), endEqual };
}
