// ORCH-5008 scale checks (not a timed test; npm run bench:scale [-- --streams 1000 --queued 100000
// --replicas 16 --only streams|rss --runtime node|tsx]) on engine-sim replicas (zero-compute)
// behind the real stack. Placement runs as production runs it: the plain-node bundle, built first
// when missing or stale (`node tools/build-runtime.mjs placement`); `--runtime tsx` runs the
// sources instead.
// 1. `streams` concurrent SSE streams through Envoy: every task submitted first, then every
//    stream opened at once (held in ext_proc while queued, served as replicas free up); counts
//    streams that ended with `end` and every error.
// 2. placement's resident memory with `queued` tasks waiting (admitted straight to its REST port,
//    nobody streaming them), read from /proc/<pid>/status before and after.
// `--only` runs one check (the other is left out of the report). Writes .artifacts/bench/scale.json.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { zeroComputeConfig } from '../engine-sim/config.js';
import { startSimStack } from '../engine-sim/sim-stack.js';
import type { SimStack } from '../engine-sim/sim-stack.js';
import { REPO_ROOT } from '../src/stack/services.js';
import { ensureBundles } from './runtime-bundles.js';
import { json, streamCall } from './paths/http-stream.js';

const { values: a } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000' },
    queued: { type: 'string', default: '100000' },
    replicas: { type: 'string', default: '16' },
    only: { type: 'string' },
    settle: { type: 'string', default: '30' },
    runtime: { type: 'string', default: 'node' },
  },
});
if (a.only !== undefined && a.only !== 'streams' && a.only !== 'rss') {
  throw new Error(`--only ${a.only}: expected streams or rss`);
}
if (a.runtime !== 'node' && a.runtime !== 'tsx') {
  throw new Error(`--runtime ${a.runtime}: expected node or tsx`);
}
const RUNTIME: 'node' | 'tsx' = a.runtime;
const STREAMS = Number(a.streams);
const QUEUED = Number(a.queued);
const REPLICAS = Number(a.replicas);
const SETTLE_S = Number(a.settle);
const log = (m: string): void => {
  process.stderr.write(`[bench:scale] ${m}\n`);
};

/** A /proc/<pid>/status field in MiB (VmRSS; RssAnon and RssFile split it). */
function statusMiB(pid: number | undefined, field = 'VmRSS'): number {
  if (pid === undefined) return Number.NaN;
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Math.round((Number(m[1]) / 1024) * 10) / 10 : Number.NaN;
}
const rssMiB = (pid: number | undefined): number => statusMiB(pid);

function task(modelRef: string, maxTokens: number): Record<string, unknown> {
  return {
    task_id: randomUUID(),
    session_id: randomUUID(),
    workload: 'completion',
    model_ref: modelRef,
    engine: 'llamacpp',
    ctx: 512,
    priority: 'interactive',
    max_tokens: maxTokens,
    deadline_ms: 0,
    determinism: 'best_effort',
    prompt: 'Once upon a time',
  };
}

/** Runs `fn` over 0..n-1 with at most `width` in flight. */
async function pool(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function streamsCheck(s: SimStack): Promise<Record<string, unknown>> {
  const ids: string[] = [];
  let submitErrors = 0;
  await pool(STREAMS, 32, async () => {
    const body = task(s.modelRef, 8);
    const r = await json({
      method: 'POST',
      url: `${s.url}/v1/tasks`,
      body: JSON.stringify(body),
      timeoutMs: 60_000,
    });
    if (r.status === 202) ids.push(String(body.task_id));
    else submitErrors += 1;
  });
  log(`${ids.length} tasks admitted; opening ${ids.length} streams at once`);
  const t0 = performance.now();
  const errors: string[] = [];
  let ended = 0;
  let tokens = 0;
  await Promise.all(
    ids.map(async (id) => {
      try {
        const r = await streamCall(
          { method: 'GET', url: `${s.url}/v1/tasks/${id}/stream`, timeoutMs: 600_000 },
          'orch',
        );
        if (r.complete) ended += 1;
        else errors.push('stream closed without end');
        tokens += r.tokens;
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }),
  );
  const wallS = (performance.now() - t0) / 1000;
  return {
    streams: ids.length,
    ended,
    errors: errors.length + submitErrors,
    error_samples: [...new Set(errors)].slice(0, 5),
    tokens,
    wall_s: Math.round(wallS * 10) / 10,
    placement_rss_mib_after: rssMiB(s.pid('placement')),
  };
}

async function rssCheck(s: SimStack): Promise<Record<string, unknown>> {
  const pid = s.pid('placement');
  const before = rssMiB(pid);
  const anonBefore = statusMiB(pid, 'RssAnon');
  let rejected = 0;
  const t0 = performance.now();
  await pool(QUEUED, 32, async (i) => {
    const r = await json({
      method: 'POST',
      url: `${s.restUrl}/v1/tasks`,
      body: JSON.stringify(task(s.modelRef, 8)),
      timeoutMs: 60_000,
    });
    if (r.status !== 202) rejected += 1;
    if (i > 0 && i % 20_000 === 0) log(`${i} admitted, placement RSS ${rssMiB(pid)} MiB`);
  });
  const wallS = (performance.now() - t0) / 1000;
  const atEnd = rssMiB(pid);
  // What an operator sees a little later: once admissions stop, V8's memory reducer runs its
  // idle collections and gives back part of the heap it grew while admitting.
  const trace: number[] = [];
  for (let i = 0; i < SETTLE_S; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    trace.push(rssMiB(pid));
  }
  if (SETTLE_S > 0) log(`RSS over ${SETTLE_S} s after the last admission: ${trace.join(' ')}`);
  const metrics = await (await fetch(`${s.restUrl}/metrics`)).text();
  const depth = metrics
    .split('\n')
    .filter((l) => l.startsWith('queue_depth{'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    queued_submitted: QUEUED,
    rejected,
    queue_depth: depth,
    admit_wall_s: Math.round(wallS * 10) / 10,
    admissions_per_s: Math.round(QUEUED / wallS),
    placement_rss_mib_before: before,
    placement_rss_anon_mib_before: anonBefore,
    placement_rss_mib_with_queue: atEnd,
    // The file-backed part is mostly the node binary's own pages (shared with every node process
    // on the machine); the anonymous part is the heap and everything else placement allocated.
    placement_rss_anon_mib_with_queue: statusMiB(pid, 'RssAnon'),
    placement_rss_file_mib_with_queue: statusMiB(pid, 'RssFile'),
    settle_s: SETTLE_S,
    placement_rss_mib_settled: SETTLE_S > 0 ? rssMiB(pid) : atEnd,
  };
}

if (RUNTIME === 'node') ensureBundles(['placement']);
const stack = await startSimStack({
  replicas: REPLICAS,
  placementRuntime: RUNTIME,
  sim: { ...zeroComputeConfig(5, 5), slots: 1 },
  log,
  tweak: (c) => {
    // Each pool carries its own copy of the queue limits once the config is parsed.
    for (const pool of c.pools) {
      pool.queue.interactive.capacity = Math.max(pool.queue.interactive.capacity, STREAMS, QUEUED);
    }
    // Nobody streams the queued tasks of check 2: keep them queued for the whole check.
    c.timeouts.attach_timeout_ms = 3_600_000;
    c.timeouts.queue_wait_ms = 3_600_000;
  },
});
try {
  let streams: Record<string, unknown> | undefined;
  let rss: Record<string, unknown> | undefined;
  if (a.only !== 'rss') {
    log(`check 1: ${STREAMS} concurrent streams through Envoy (${REPLICAS} replicas)`);
    streams = await streamsCheck(stack);
    log(JSON.stringify(streams));
  }
  if (a.only !== 'streams') {
    log(`check 2: placement RSS with ${QUEUED} queued tasks`);
    rss = await rssCheck(stack);
    log(JSON.stringify(rss));
  }
  const report = {
    bench: 'scale',
    req: 'ORCH-5008',
    generated_at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      loadavg_1_5_15: loadavg().map((n) => Math.round(n * 100) / 100),
    },
    replicas: REPLICAS,
    placement_runtime: RUNTIME,
    ...(streams && { streams }),
    ...(rss && { queued: rss }),
  };
  const file = join(REPO_ROOT, '.artifacts', 'bench', 'scale.json');
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\nwrote ${file}\n`);
} finally {
  await stack.close();
}
