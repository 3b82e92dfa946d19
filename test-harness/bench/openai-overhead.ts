// ORCH-3103 overhead of the OpenAI path next to OrchQueue's, on the same stack, model, prompt,
// max_tokens, seed and sampler profile (not a timed test): OrchQueue is POST /v1/tasks then
// GET /v1/tasks/{id}/stream; OpenAI is one streaming POST /v1/completions (raw prompt, so the
// engine decodes exactly the same request) whose body Envoy buffers for ext_proc. Iterations are
// interleaved and alternate which path goes first. Reports TTFT and total p50/p90 per path, the
// paired per-iteration deltas, and whether both paths produced the same text (they must).
// Writes .artifacts/bench/openai-overhead.json.
//
// Run: npm run bench:openai [-- --iterations 20 --max-tokens 8]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startStack } from '../src/stack/index.js';
import type { Stack } from '../src/stack/index.js';
import { CONTINUATION_PROMPT, stream, submit, taskBody } from '../e2e/helpers/client.js';
import { percentile, round } from './stats.js';

const { values: argv } = parseArgs({
  options: {
    iterations: { type: 'string', default: '20' },
    'max-tokens': { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
  },
});
const ITERATIONS = Number(argv.iterations);
const MAX_TOKENS = Number(argv['max-tokens']);
const WARMUP = Number(argv.warmup);
const PROMPT = CONTINUATION_PROMPT;

interface Sample {
  ttftMs: number;
  totalMs: number;
  text: string;
}

const log = (msg: string): void => {
  process.stderr.write(`[bench:openai] ${msg}\n`);
};

async function orchQueue(stack: Stack, seed: number): Promise<Sample> {
  const t0 = performance.now();
  const body = taskBody({ prompt: PROMPT, max_tokens: MAX_TOKENS, seed });
  const admitted = await submit(stack.url, body);
  if (admitted.status !== 202) throw new Error(`admission ${admitted.status}`);
  const s = await stream(stack.url, body.task_id, { timeoutMs: 300_000 });
  const offset = performance.now() - t0 - s.doneAt;
  const tokens = s.events.filter((e) => e.event === 'token');
  return {
    ttftMs: offset + (tokens[0]?.at ?? Number.NaN),
    totalMs: performance.now() - t0,
    text: tokens.map((e) => String(e.data.t)).join(''),
  };
}

async function openAi(stack: Stack, seed: number): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(`${stack.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: stack.model.ref,
      prompt: PROMPT,
      max_tokens: MAX_TOKENS,
      seed,
      stream: true,
    }),
  });
  if (res.status !== 200 || !res.body) throw new Error(`openai ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let buffer = '';
  let text = '';
  let ttft = Number.NaN;
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const line = buffer.slice(0, cut).replace(/^data: /, '');
      buffer = buffer.slice(cut + 2);
      if (line === '[DONE]') continue;
      const piece = (JSON.parse(line) as { choices: { text: string }[] }).choices[0]?.text ?? '';
      if (piece.length > 0 && Number.isNaN(ttft)) ttft = performance.now() - t0;
      text += piece;
    }
  }
  return { ttftMs: ttft, totalMs: performance.now() - t0, text };
}

function stats(values: readonly number[]): { p50_ms: number; p90_ms: number } {
  return { p50_ms: round(percentile(values, 50)), p90_ms: round(percentile(values, 90)) };
}

async function main(): Promise<void> {
  log('starting the stack (placement, sidecar + llama-server, Envoy; CPU carve-out ORCH-1101)');
  const stack = await startStack({ log });
  try {
    for (let i = 0; i < WARMUP; i++) {
      await orchQueue(stack, 1 + i);
      await openAi(stack, 1 + i);
    }
    const runs = { orchqueue: [] as Sample[], openai: [] as Sample[] };
    let same = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = 1000 + i;
      const order =
        i % 2 === 0 ? (['orchqueue', 'openai'] as const) : (['openai', 'orchqueue'] as const);
      for (const path of order) {
        runs[path].push(
          path === 'orchqueue' ? await orchQueue(stack, seed) : await openAi(stack, seed),
        );
      }
      if (runs.orchqueue.at(-1)?.text === runs.openai.at(-1)?.text) same += 1;
    }
    const paired = (key: 'ttftMs' | 'totalMs'): number[] =>
      runs.openai.map((o, i) => o[key] - (runs.orchqueue[i]?.[key] ?? Number.NaN));
    const report = {
      bench: 'openai-overhead',
      req: 'ORCH-3103',
      generated_at: new Date().toISOString(),
      carve_out: 'CPU (ORCH-1101): SmolLM2-135M on llama-server, no GPU on this machine',
      machine: { cpus: cpus().length, loadavg_1_5_15: loadavg().map((n) => round(n, 2)) },
      params: { prompt: PROMPT, max_tokens: MAX_TOKENS, iterations: ITERATIONS, warmup: WARMUP },
      identical_text: `${same}/${ITERATIONS}`,
      orchqueue: {
        ttft: stats(runs.orchqueue.map((s) => s.ttftMs)),
        total: stats(runs.orchqueue.map((s) => s.totalMs)),
      },
      openai: {
        ttft: stats(runs.openai.map((s) => s.ttftMs)),
        total: stats(runs.openai.map((s) => s.totalMs)),
      },
      paired_delta_openai_minus_orchqueue: {
        ttft: stats(paired('ttftMs')),
        total: stats(paired('totalMs')),
      },
      notes: [
        'TTFT and total are measured from the first request byte: OrchQueue from POST /v1/tasks (two HTTP requests), OpenAI from its one POST.',
        'Paired deltas: per iteration, same seed, back to back; the figure least affected by load drift on a shared host.',
      ],
    };
    const dir = join(REPO_ROOT, '.artifacts', 'bench');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'openai-overhead.json');
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `${JSON.stringify({ ...report, notes: undefined }, null, 2)}\nwrote ${file}\n`,
    );
  } finally {
    await stack.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench:openai] failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
