// Research tool (not a test): the haiku gate's per-attempt pass rate over every Amsterdam minute
// (0..59) × N nonces, through the same path and the same attempt as the gate (gate-attempt.ts:
// OrchQueue v1 at Envoy, the pool's chat template, seed 42, 64 tokens). Writes every output to
// .artifacts/haiku/stack-pass-rate-<model>-<sampler>.json and prints the RESULTS.md row.
//   npx tsx test-harness/src/haiku/stack-pass-rate.ts [--model instruct|fast]
//     [--sampler v1|greedy] [--nonces 3] [--minutes 60] [--threads 1] [--catalog-model <id>]
// CPU carve-out (ORCH-1101): on the CI machines this runs llama-server on CPU.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from '../../bench/stats.js';
import { REPO_ROOT, startStack } from '../stack/index.js';
import type { StackModel } from '../stack/index.js';
import { haikuAttempt } from './gate-attempt.js';
import type { GateAttempt } from './gate-attempt.js';
import { minuteWords } from './minute-words.js';
import { makeNonce, seededIndex } from './nonce.js';

interface PassRateSummary {
  attempts: number;
  passes: number;
  passesExactCase: number;
  rate: number;
  rateExactCase: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyMaxMs: number;
  failures: { lines: number; minute: number; nonce: number; echo: number; budget: number };
  /** P(all of k independent attempts fail) for k = 1..3, from the measured rate. */
  failureProbability: [number, number, number];
}

function summarise(runs: readonly GateAttempt[], budgetMs: number): PassRateSummary {
  const passes = runs.filter((r) => r.verdict.accepted).length;
  const passesExactCase = runs.filter((r) => r.verdict.acceptedExactCase).length;
  const lat = runs.map((r) => r.elapsedMs);
  const rate = runs.length === 0 ? 0 : passes / runs.length;
  const has = (r: GateAttempt, re: RegExp): boolean => r.verdict.reasons.some((x) => re.test(x));
  return {
    attempts: runs.length,
    passes,
    passesExactCase,
    rate,
    rateExactCase: runs.length === 0 ? 0 : passesExactCase / runs.length,
    latencyP50Ms: percentile(lat, 50),
    latencyP95Ms: percentile(lat, 95),
    latencyMaxMs: lat.length > 0 ? Math.max(...lat) : NaN,
    failures: {
      lines: runs.filter((r) => has(r, /non-empty line/)).length,
      minute: runs.filter((r) => has(r, /minute words/)).length,
      nonce: runs.filter((r) => has(r, /nonce/)).length,
      echo: runs.filter((r) => has(r, /echoes the prompt/)).length,
      budget: runs.filter((r) => r.elapsedMs > budgetMs).length,
    },
    failureProbability: [1 - rate, (1 - rate) ** 2, (1 - rate) ** 3],
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'instruct' },
      sampler: { type: 'string', default: 'v1' },
      nonces: { type: 'string', default: '3' },
      minutes: { type: 'string', default: '60' },
      threads: { type: 'string', default: '1' },
      /** A toolchain catalog id to serve instead of --model (e.g. the opt-in 1.5B). */
      'catalog-model': { type: 'string' },
    },
  });
  const model = values.model as StackModel;
  if (model !== 'instruct' && model !== 'fast') throw new Error('--model instruct|fast');
  const nonces = Number(values.nonces);
  const minutes = Number(values.minutes);
  const budgetMs = 30_000;
  const log = (m: string): void => void process.stderr.write(`[pass-rate] ${m}\n`);
  const catalogModel = values['catalog-model'];
  const stack = await startStack({
    model,
    ...(catalogModel !== undefined ? { catalogModel } : {}),
    threads: Number(values.threads),
    tweak: (c) => {
      const pool = c.pools[0];
      if (pool) {
        pool.sampler_profile_version = values.sampler;
        // Model under study is the instruct one: render through its template.
        pool.prompt_format = 'chat';
      }
    },
    log,
  });
  const random = seededIndex(2026);
  const runs: GateAttempt[] = [];
  try {
    for (let n = 0; n < nonces; n++) {
      for (let minute = 0; minute < minutes; minute++) {
        const words = minuteWords(minute);
        const nonce = makeNonce(words, random);
        const r = await haikuAttempt({
          edgeUrl: stack.url,
          modelRef: stack.model.ref,
          samplerProfile: stack.config.pools[0]?.sampler_profile_version ?? 'v1',
          minute,
          minuteWords: words,
          nonce,
          budgetMs,
        });
        runs.push(r);
        const mark = r.verdict.accepted ? 'pass' : `FAIL (${r.verdict.reasons.join('; ')})`;
        log(`${runs.length}/${nonces * minutes} ${words} ${nonce} ${r.elapsedMs} ms ${mark}`);
      }
    }
  } finally {
    await stack.close();
  }
  const summary = summarise(runs, budgetMs);
  const out = join(
    REPO_ROOT,
    '.artifacts',
    'haiku',
    `stack-pass-rate-${catalogModel ?? model}-${values.sampler}.json`,
  );
  await mkdir(join(REPO_ROOT, '.artifacts', 'haiku'), { recursive: true });
  const meta = {
    measuredAt: new Date().toISOString(),
    model: stack.model,
    engine: stack.toolchain.llamaServer.buildInfo,
    sampler: values.sampler,
    threads: Number(values.threads),
    label: 'CPU carve-out (ORCH-1101)',
  };
  await writeFile(out, `${JSON.stringify({ meta, summary, runs }, null, 2)}\n`);
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  log(`wrote ${out}`);
  process.stdout.write(
    `| ${stack.model.ref} | ${values.sampler} | ${summary.passes}/${summary.attempts} (${pct(summary.rate)}) | ` +
      `${summary.passesExactCase}/${summary.attempts} (${pct(summary.rateExactCase)}) | ` +
      `${(summary.latencyP50Ms / 1000).toFixed(2)} s | ${(summary.latencyP95Ms / 1000).toFixed(2)} s | ` +
      `${pct(summary.failureProbability[2])} |\n` +
      `failures: ${JSON.stringify(summary.failures)}\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
