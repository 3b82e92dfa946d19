// ORCH-5008 overhead benchmark (not a timed test): the full path (POST /v1/tasks + GET stream
// through Envoy → ext_proc placement → sidecar → llama-server) next to a direct streaming
// POST /completion to the same llama-server, in one run, same prompt, max_tokens, seed and
// sampler fields. Reports TTFT p50/p99 and tokens/s, each as a ratio to direct, at 1 and N
// concurrent streams. Writes .artifacts/bench/overhead.json and prints a table.
//
// Run: npm run bench:overhead [-- --iterations 20 --rounds 3 --concurrency 8 --max-tokens 8]
//
// With one slot per replica (determinism, ORCH-4016), N concurrent streams queue in both paths:
// the full path waits in placement's queue (the ext_proc reply is held), the direct path waits
// inside llama-server for its single slot. TTFT at c>1 therefore includes that queueing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startStack } from '../src/stack/index.js';
import type { Stack } from '../src/stack/index.js';
import { CONTINUATION_PROMPT, stream, submit, taskBody } from '../e2e/helpers/client.js';
import { waitForReadyReplicas } from '../src/stack/readiness.js';
import { directCompletion } from './direct-engine.js';
import type { StreamSample } from './direct-engine.js';
import { percentile, ratios, round, summarise, table } from './stats.js';
import type { Level } from './stats.js';

const { values: argv } = parseArgs({
  options: {
    iterations: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
    'max-tokens': { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
  },
});
const ITERATIONS = Number(argv.iterations);
const ROUNDS = Number(argv.rounds);
const CONCURRENCY = Number(argv.concurrency);
const MAX_TOKENS = Number(argv['max-tokens']);
const WARMUP = Number(argv.warmup);
const PROMPT = CONTINUATION_PROMPT;

const log = (msg: string): void => {
  process.stderr.write(`[bench:overhead] ${msg}\n`);
};

/** One task through the public edge, timed from the POST that admits it. */
async function fullCompletion(stack: Stack, seed: number): Promise<StreamSample> {
  const t0 = performance.now();
  const body = taskBody({ prompt: PROMPT, max_tokens: MAX_TOKENS, seed });
  const admitted = await submit(stack.url, body);
  if (admitted.status !== 202) {
    throw new Error(`admission ${admitted.status}: ${JSON.stringify(admitted.body)}`);
  }
  const s = await stream(stack.url, body.task_id, { timeoutMs: 300_000 });
  const offset = performance.now() - t0 - s.doneAt;
  const tokens = s.events.filter((e) => e.event === 'token');
  const end = s.events.at(-1);
  if (end?.event !== 'end') throw new Error(`full path ended with ${JSON.stringify(end)}`);
  const first = tokens[0]?.at ?? Number.NaN;
  const last = tokens.at(-1)?.at ?? Number.NaN;
  return {
    ttftMs: offset + first,
    totalMs: performance.now() - t0,
    tokens: tokens.length,
    decodeMs: last - first,
    text: tokens.map((e) => String(e.data.t)).join(''),
  };
}

function compact(samples: readonly StreamSample[]): [number, number, number][] {
  return samples.map((s) => [round(s.ttftMs), round(s.totalMs), s.tokens]);
}

async function main(): Promise<void> {
  const started = Date.now();
  log('starting the stack (placement, sidecar + llama-server, Envoy)');
  // llama-server queues direct requests without a time limit; give placement's queue the same
  // room so a slow (loaded) host measures queueing in both paths instead of failing the full
  // path with REPLICA_EXHAUSTED after the default 30 s queue wait.
  const stack = await startStack({
    log,
    tweak: (c) => {
      c.timeouts.queue_wait_ms = 600_000;
      // Likewise no watchdog cuts a direct request: keep the sidecar's out of the comparison.
      c.timeouts.idle_ms = 120_000;
      c.timeouts.wall_ms = 600_000;
    },
  });
  const engineUrl = `http://127.0.0.1:${stack.ports.engines[0]}`;
  // A direct request holds the engine's slot without the sidecar knowing; let the replica settle
  // back to Ready (placement's view) before every full-path measurement.
  const ready = (): Promise<void> =>
    waitForReadyReplicas(stack.restUrl, stack.poolId, 1, { timeoutMs: 60_000, intervalMs: 50 });
  const direct = (seed: number): Promise<StreamSample> =>
    directCompletion(engineUrl, PROMPT, MAX_TOKENS, seed);
  try {
    log(`warm-up: ${WARMUP} per path`);
    for (let i = 0; i < WARMUP; i++) {
      await direct(1 + i);
      await ready();
      await fullCompletion(stack, 1 + i);
    }

    log(`c=1: ${ITERATIONS} iterations per path, interleaved`);
    const c1 = { direct: [] as StreamSample[], full: [] as StreamSample[] };
    let sameText = 0;
    let wall1 = { direct: 0, full: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = 1000 + i;
      // Alternate which path goes first so drift in machine load hits both alike.
      const order = i % 2 === 0 ? (['direct', 'full'] as const) : (['full', 'direct'] as const);
      for (const path of order) {
        if (path === 'full') await ready();
        const t = performance.now();
        const s = path === 'direct' ? await direct(seed) : await fullCompletion(stack, seed);
        wall1 = { ...wall1, [path]: wall1[path] + performance.now() - t };
        c1[path].push(s);
      }
      if (c1.direct.at(-1)?.text === c1.full.at(-1)?.text) sameText += 1;
    }
    // Paired per-iteration deltas (same seed, back to back) are robust to slow load drift on a
    // shared host, unlike the ratio of two independent percentiles.
    const deltas = c1.full.map((f, i) => f.ttftMs - (c1.direct[i]?.ttftMs ?? Number.NaN));
    const pairedTtftDelta = {
      p50_ms: round(percentile(deltas, 50)),
      p90_ms: round(percentile(deltas, 90)),
    };
    const levels: Level[] = [];
    const d1 = summarise(c1.direct, wall1.direct);
    const f1 = summarise(c1.full, wall1.full);
    levels.push({ concurrency: 1, direct: d1, full: f1, ratio: ratios(f1, d1) });

    log(`c=${CONCURRENCY}: ${ROUNDS} rounds per path, alternating`);
    const cN = { direct: [] as StreamSample[], full: [] as StreamSample[] };
    let wallN = { direct: 0, full: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      const seeds = Array.from({ length: CONCURRENCY }, (_, k) => 2000 + r * CONCURRENCY + k);
      const order = r % 2 === 0 ? (['direct', 'full'] as const) : (['full', 'direct'] as const);
      for (const path of order) {
        await ready();
        const t = performance.now();
        const batch = await Promise.all(
          seeds.map((seed) => (path === 'direct' ? direct(seed) : fullCompletion(stack, seed))),
        );
        wallN = { ...wallN, [path]: wallN[path] + performance.now() - t };
        cN[path].push(...batch);
      }
    }
    const dN = summarise(cN.direct, wallN.direct);
    const fN = summarise(cN.full, wallN.full);
    levels.push({ concurrency: CONCURRENCY, direct: dN, full: fN, ratio: ratios(fN, dN) });

    const report = {
      bench: 'overhead',
      req: 'ORCH-5008',
      generated_at: new Date().toISOString(),
      duration_s: Math.round((Date.now() - started) / 1000),
      carve_out: 'CPU (ORCH-1101): SmolLM2-135M on llama-server, no GPU on this machine',
      machine: {
        cpus: cpus().length,
        loadavg_1_5_15: loadavg().map((n) => Math.round(n * 100) / 100),
      },
      engine: {
        engine_version: stack.toolchain.llamaServer.buildInfo,
        model_digest: stack.toolchain.model.digest,
        slots: 1,
      },
      params: {
        prompt: PROMPT,
        max_tokens: MAX_TOKENS,
        sampler_profile: 'v1',
        iterations_c1: ITERATIONS,
        rounds_cN: ROUNDS,
        concurrency: CONCURRENCY,
        warmup: WARMUP,
      },
      identical_text_c1: `${sameText}/${ITERATIONS}`,
      paired_ttft_delta_c1: pairedTtftDelta,
      levels,
      // Raw per-stream figures (ms, tokens) for diagnosing outliers on a shared host.
      samples: {
        c1: { direct: compact(c1.direct), full: compact(c1.full) },
        cN: { direct: compact(cN.direct), full: compact(cN.full) },
      },
      notes: [
        'TTFT is measured from the first request byte: for the full path from POST /v1/tasks (admission + ext_proc hold + routing), for direct from POST /completion.',
        'ratio = full / direct; TTFT ratio > 1 is added latency, tokens/s ratio < 1 is lost rate.',
        'decode tok/s p50 is the median per-stream rate (tokens-1)/(last-first token); throughput is all tokens over the wall time of the measured requests.',
        `With one slot, c=${CONCURRENCY} queues in both paths: placement holds the ext_proc reply while the task waits; llama-server queues direct requests for its single slot itself. TTFT at c=${CONCURRENCY} includes that wait.`,
        'The bench stack raises timeouts.queue_wait_ms and wall_ms to 600 s and idle_ms to 120 s: llama-server has no queue limit or watchdog for direct requests.',
        'samples are [ttft_ms, total_ms, tokens] per stream, in run order.',
        'Paths are interleaved (c=1) and alternated per round (c>1) so machine-load drift hits both; the host is shared with other jobs, see loadavg.',
        'paired_ttft_delta_c1: per-iteration full minus direct TTFT (same seed, run back to back), the overhead figure least affected by load drift.',
        'identical_text_c1 counts iterations whose direct and full outputs matched byte for byte (same seed and sampler fields): a check that both paths ran the same request.',
      ],
    };
    const dir = join(REPO_ROOT, '.artifacts', 'bench');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'overhead.json');
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${table(levels)}\n`);
    process.stdout.write(
      `paired TTFT delta (full - direct) at c=1: p50 ${pairedTtftDelta.p50_ms} ms, p90 ${pairedTtftDelta.p90_ms} ms\n` +
        `identical text at c=1: ${report.identical_text_c1}\nwrote ${file}\n`,
    );
  } finally {
    await stack.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench:overhead] failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
