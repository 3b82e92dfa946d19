// Startup canary (ORCH-4017, ORCH-3049): a fixed prompt decoded greedily; the hash of the token
// ids identifies the numeric behaviour of {engine build, model, flags, hardware}. Replicas whose
// hashes differ must never share a replica set.
import { createHash } from 'node:crypto';
import type { EngineAdapter } from '../adapters/types.js';
import { confirmSlotIdle } from './confirm-idle.js';

export const CANARY_PROMPT = 'The three primary colours are';
export const CANARY_MAX_TOKENS = 16;
const CANARY_PROFILE = 'greedy';

interface CanaryResult {
  hash: string;
  text: string;
  tokenIds: number[];
  ms: number;
}

// 16 greedy tokens take well under a second on a GPU, but the CPU carve-out on a loaded 2-core CI
// box decodes ~1 token/s: a 30 s bound there failed the canary ("canceled") and left the replica
// unready for good, since the startup canary is not retried.
const CANARY_TIMEOUT_MS = 120_000;

export async function runCanary(
  adapter: EngineAdapter,
  timeoutMs = CANARY_TIMEOUT_MS,
): Promise<CanaryResult> {
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

// Launch flags that only say where the engine listens or where its file lives: they differ per
// replica without changing a single logit, so they stay out of the identity.
const PLACE_FLAGS = new Set(['--host', '--port', '-m', '--model']);

/**
 * The replica-set identity hash (ORCH-4017): the canary's token hash plus every launch flag that
 * can change numerics (-b, -ub, -t, -c, -fa, ...). A short greedy canary alone missed a replica
 * launched with a different -ub; with the flags in the hash, such a replica forms its own set.
 */
export function identityHash(canaryHash: string, launch?: { args: readonly string[] }): string {
  if (!launch) return canaryHash;
  const kept: string[] = [];
  for (let i = 0; i < launch.args.length; i++) {
    const arg = launch.args[i] as string;
    if (PLACE_FLAGS.has(arg)) i++;
    else kept.push(arg);
  }
  return createHash('sha256')
    .update(`${canaryHash}|${kept.join(' ')}`)
    .digest('hex');
}

/**
 * Cancel self-test (ORCH-3049): start a decode, abort it after the first token, and require the
 * engine to report its slot idle within deadlineMs. Catches builds that ignore client disconnects
 * (llama.cpp #11720, #13262, #24496) before the replica takes traffic.
 */
export async function runCancelSelfTest(
  adapter: EngineAdapter,
  // 3 s was too tight on the loaded 2-core CPU carve-out (the replica stayed unready for good);
  // 256 tokens keep an engine that ignores the abort busy well past this deadline.
  deadlineMs = 10_000,
): Promise<string | undefined> {
  const ac = new AbortController();
  const guard = setTimeout(() => ac.abort(), 30_000);
  let sawToken = false;
  try {
    for await (const ev of adapter.generate({
      prompt: CANARY_PROMPT,
      maxTokens: 256,
      seed: 0,
      samplerProfile: CANARY_PROFILE,
      signal: ac.signal,
    })) {
      if (ev.type === 'token' && !sawToken) {
        sawToken = true;
        ac.abort();
      }
    }
  } finally {
    clearTimeout(guard);
  }
  if (!sawToken) return 'cancel self-test: no token before abort';
  const idle = await confirmSlotIdle(adapter, deadlineMs);
  return idle ? undefined : `cancel self-test: engine slot still busy ${deadlineMs} ms after abort`;
}
