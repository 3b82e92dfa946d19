// Haiku gate (ORCH-5006, seed workflow.md §4): a real instruct model, reached only through
// OrchQueue v1 at Envoy, writes a haiku holding the current Amsterdam minute in words and a fresh
// nonce. The client sends the seed's bare prompt; the pool's chat template does the rest
// (prompt_format chat, ORCH-3102).
// CPU carve-out (ORCH-1101): CI runs it on CPU with Qwen2.5-Coder-0.5B-Instruct.
// `npm test` sets REQUIRE_REAL_LLAMA=1 (the seed's gate switch); then a mock engine is refused
// and a missing real worker fails the run. A bare `vitest run` without it prints why it skips.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, settle } from '../e2e/helpers/client.js';
import { scrape, total } from '../e2e/helpers/metrics.js';
import { haikuAttempt } from '../src/haiku/gate-attempt.js';
import type { GateAttempt } from '../src/haiku/gate-attempt.js';
import { currentMinuteWords } from '../src/haiku/minute-words.js';
import { makeNonce } from '../src/haiku/nonce.js';
import {
  CPU_CARVE_OUT_LABEL,
  writeGateSummary,
  writeProofBundle,
} from '../src/haiku/proof-bundle.js';
import { realEngineProblems, type ReplicaView } from '../src/haiku/real-engine.js';
import { scanRepo } from '../src/haiku/repo-scan.js';
import type { ScanFinding } from '../src/haiku/repo-scan.js';
import type { Stack } from '../src/stack/index.js';
import { REPO_ROOT, startStack } from '../src/stack/index.js';

const GATE_ON = process.env.REQUIRE_REAL_LLAMA === '1';
/** Seed §4: the whole exchange, every attempt included, within 30 s. */
const BUDGET_MS = 30_000;
/**
 * Independent attempts (fresh nonce, current minute) inside the one budget. With the measured
 * per-attempt pass rate p (RESULTS.md), the gate fails in CI with probability (1 - p)^3.
 */
const MAX_ATTEMPTS = 3;
const BUNDLE_ROOT = join(REPO_ROOT, '.artifacts', 'haiku');
/** Argmax decoding; the seed then only names the replay. Chosen on the measured rates. */
const GATE_SAMPLER_PROFILE = 'greedy';

if (!GATE_ON) {
  console.warn(
    'SKIP ORCH-5006 haiku gate: REQUIRE_REAL_LLAMA is not 1. `npm test` sets it and then runs ' +
      'the gate on the real model; set it yourself to run this file alone.',
  );
}

describe.runIf(GATE_ON)('ORCH-5006: haiku gate on a real model (CPU carve-out)', () => {
  let stack: Stack;

  beforeAll(async () => {
    // One llama-server thread: on a shared 2-core CI box -t 1 is several times faster than -t 2
    // under contention (RESULTS.md), and the budget is 30 s. The pool serves the `greedy` sampler
    // profile: per attempt it passes 92.8 % of 180 pairs against 74.4 % for `v1` (RESULTS.md),
    // which makes three attempts fail together with probability ≈ 0.04 % instead of 1.7 %.
    stack = await startStack({
      model: 'instruct',
      threads: 1,
      tweak: (config) => {
        const pool = config.pools[0];
        if (pool) pool.sampler_profile_version = GATE_SAMPLER_PROFILE;
      },
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  it('ORCH-5006: real engine, ≥3 lines with minute words and nonce, tokens_out_total rose, ≤30 s, no cheat', async () => {
    // Anti-cheat: a mock or simulated engine is refused before anything is judged.
    const health = await getJson(`${stack.url}/v1/pools/${stack.poolId}/health`);
    const caps = await getJson(`${stack.url}/v1/capabilities`);
    const replicas = ((health.body as { replicas?: ReplicaView[] }).replicas ?? []).map((r) => ({
      replica_id: r.replica_id,
      engine: r.engine,
      engine_version: r.engine_version,
      model_digest: r.model_digest,
      ready: r.ready,
    }));
    const features = (caps.body as { features?: string[] }).features ?? [];
    const engineProblems = realEngineProblems({
      replicas,
      capabilityFeatures: features,
      expectedModelDigest: stack.model.digest,
    });
    expect(engineProblems, 'REQUIRE_REAL_LLAMA=1').toEqual([]);

    const before = await scrape(stack.url);
    const t0 = performance.now();
    const attempts: GateAttempt[] = [];
    while (attempts.length < MAX_ATTEMPTS) {
      const left = BUDGET_MS - (performance.now() - t0);
      if (left <= 0) break;
      const { minute, words } = currentMinuteWords(new Date());
      const a = await haikuAttempt({
        edgeUrl: stack.url,
        modelRef: stack.model.ref,
        samplerProfile: stack.config.pools[0]?.sampler_profile_version ?? 'v1',
        minute,
        minuteWords: words,
        nonce: makeNonce(words),
        budgetMs: left,
      });
      attempts.push(a);
      if (a.verdict.accepted) break;
    }
    const totalMs = Math.round(performance.now() - t0);
    // Placement counts a lease's tokens when the sidecar's LeaseFinished arrives, which can trail
    // the client's `end` event by a few ms: poll briefly instead of reading once.
    const tokensBefore = total(before.samples, 'tokens_out_total');
    const after = await settle(
      () => scrape(stack.url),
      (m) => total(m.samples, 'tokens_out_total') > tokensBefore,
    );

    const passed = attempts.find((a) => a.verdict.accepted);
    const findings: ScanFinding[] = [];
    let filesScanned = 0;
    for (const a of attempts) {
      const scan = await scanRepo(REPO_ROOT, a.minuteWords, a.nonce);
      findings.push(...scan.findings);
      filesScanned = scan.filesScanned;
    }
    const checks = {
      tokensOutDelta: total(after.samples, 'tokens_out_total') - tokensBefore,
      metricsPresent: before.samples.length > 0 && after.samples.length > 0,
      engineVersionAndDigestVisible: replicas.every(
        (r) => r.engine_version.length > 0 && r.model_digest.length > 0,
      ),
      withinBudget: totalMs <= BUDGET_MS,
      repoScan: { filesScanned, findings },
    };
    const accepted =
      passed !== undefined &&
      checks.tokensOutDelta > 0 &&
      checks.metricsPresent &&
      checks.engineVersionAndDigestVisible &&
      checks.withinBudget &&
      findings.length === 0;

    const gateDir = join(BUNDLE_ROOT, `${new Date().toISOString().replace(/[:.]/g, '-')}-gate`);
    for (const [k, a] of attempts.entries()) {
      await writeProofBundle(gateDir, {
        runId: `attempt-${k + 1}`,
        startedAt: new Date().toISOString(),
        minute: a.minute,
        minuteWords: a.minuteWords,
        nonce: a.nonce,
        prompt: a.prompt,
        taskRequest: a.body,
        admission: a.admission,
        sseTranscript: a.sse,
        output: a.output,
        metricsBefore: before.text,
        metricsAfter: after.text,
        evidence: { model: stack.model, replicas, features, endEvent: a.endEvent },
        verdict: { elapsedMs: a.elapsedMs, ...a.verdict },
      });
    }
    await writeGateSummary(gateDir, {
      accepted,
      attemptsUsed: attempts.length,
      maxAttempts: MAX_ATTEMPTS,
      passedOnAttempt: passed ? attempts.indexOf(passed) + 1 : null,
      totalMs,
      budgetMs: BUDGET_MS,
      attempts: attempts.map((a) => ({
        minuteWords: a.minuteWords,
        nonce: a.nonce,
        elapsedMs: a.elapsedMs,
        accepted: a.verdict.accepted,
        reasons: a.verdict.reasons,
      })),
      ...checks,
    });
    const how = passed
      ? `passed on attempt ${attempts.indexOf(passed) + 1} of ${MAX_ATTEMPTS}`
      : `no attempt passed (${attempts.length} made)`;
    console.log(
      `${CPU_CARVE_OUT_LABEL}\nhaiku gate: ${how}, ${totalMs} ms in all; proof bundle: ${gateDir}\n` +
        attempts.map((a, k) => `--- attempt ${k + 1} (${a.elapsedMs} ms)\n${a.output}`).join('\n'),
    );

    expect(findings, 'anti-cheat repo scan').toEqual([]);
    expect(checks.engineVersionAndDigestVisible).toBe(true);
    expect(checks.tokensOutDelta, 'tokens_out_total must rise').toBeGreaterThan(0);
    expect(totalMs, 'all attempts within the 30 s budget').toBeLessThanOrEqual(BUDGET_MS);
    expect(
      passed?.verdict.reasons ?? attempts.map((a) => a.verdict.reasons),
      `model outputs:\n${attempts.map((a) => a.output).join('\n---\n')}`,
    ).toEqual([]);
    expect(accepted).toBe(true);
  }, 120_000);
});
