// ORCH-3130/3131: placement goodput measured through the real stack (issue #20). Engine-sim
// replicas with the simulator's prefix-cache model (engine-sim/prefix-cache.ts: TTFT = overhead +
// uncached prompt tokens × prefill cost) behind the real stack (Envoy edge → ext_proc placement →
// one sidecar per replica), driven over HTTP: open-loop Poisson arrivals, each task a
// `POST /v1/tasks` + `GET /v1/tasks/{id}/stream` through the edge, TTFT timed from the POST on
// the client's clock. Per placement profile (round-robin, the built-in default, the prefix-cache
// profile of bench:placement) and per workload (shared-prefix multi-turn chat, uniform) it sweeps
// offered rates; goodput = tasks per second of the measured window whose TTFT met the SLO; the
// knee is the swept rate with the highest goodput. A profile is selected by rewriting the pool's
// `placement_profile` in the config file and restarting placement (sidecars reconnect; Envoy and
// the engines stay up), with every engine's cache emptied, so each profile starts cold.
//
// The engines cache prompts whatever the sidecar asks (`alwaysCachePrompt`: an engine with
// automatic prefix caching): the llama.cpp sidecar sends `cache_prompt: false` (ORCH-4016), so
// without it nothing would be cached through the stack. Writes .artifacts/bench/goodput-stack.*.
import { mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Config } from '@llama-orch/contracts';
import type { SimConfig } from '../engine-sim/config.js';
import { hash32, prng } from '../engine-sim/model.js';
import { startSimStack } from '../engine-sim/sim-stack.js';
import type { SimStack } from '../engine-sim/sim-stack.js';
import { waitForReadyReplicas } from '../src/stack/readiness.js';
import { REPO_ROOT } from '../src/stack/services.js';
import { renderStackConfig } from '../src/stack/stack-config.js';
import { json, streamCall } from './paths/http-stream.js';
import { PREFIX_PROFILE } from './placement/goodput.js';
import { settle } from './placement-metrics.js';
import { percentile } from './stats.js';
import { text } from './workload-text.js';

export const PROFILES = ['round-robin', 'default', 'prefix-cache'] as const;
type ProfileName = (typeof PROFILES)[number];
export const WORKLOADS = ['shared-prefix multi-turn', 'uniform'] as const;
type WorkloadName = (typeof WORKLOADS)[number];

interface GoodputStackOptions {
  replicas: number;
  /** Offered rates (tasks/s) swept per workload, ascending. */
  rates: Record<WorkloadName, number[]>;
  /** Seconds of arrivals per rate before the measured window (caches and queues settle). */
  warmupS: number;
  /** Seconds of arrivals measured per rate. */
  durationS: number;
  /** TTFT SLOs (ms) the goodput is reported for; the first one also ends a sweep early. */
  ttftSloMs: number[];
  /** A stream with no byte for this long is abandoned (a miss; the client goes away). */
  giveUpMs: number;
  /**
   * Stop a sweep once goodput falls under this share of the best so far at two rates in a row
   * (past the knee; one bad rate alone may be the shared host's load).
   */
  stopBelow: number;
  maxTokens: number;
  /** Engine timing: TTFT = prefillOverheadMs + uncached prompt tokens × prefillMsPerToken. */
  prefillOverheadMs: number;
  prefillMsPerToken: number;
  itlMs: number;
  /** Prompts each engine keeps cached (its KV budget, LRU). */
  cachePrompts: number;
  /** Shared-prefix workload: system prompts, their words, live sessions, turns per session. */
  systems: number;
  systemWords: number;
  sessions: number;
  turns: number;
  seed: number;
  log: (msg: string) => void;
  /** Output file (default .artifacts/bench/goodput-stack.json). */
  out?: string;
}

export const DEFAULTS: Omit<GoodputStackOptions, 'log'> = {
  replicas: 16,
  rates: {
    'shared-prefix multi-turn': [12, 16, 20, 24, 28, 32],
    uniform: [10, 14, 18, 22],
  },
  warmupS: 3,
  durationS: 8,
  ttftSloMs: [2000, 1000, 500],
  giveUpMs: 8000,
  stopBelow: 0.6,
  maxTokens: 4,
  prefillOverheadMs: 10,
  prefillMsPerToken: 2,
  itlMs: 25,
  cachePrompts: 8,
  systems: 16,
  systemWords: 300,
  sessions: 128,
  turns: 4,
  seed: 7,
};

// ---- workloads --------------------------------------------------------------------------------

interface Turn {
  sessionId: string;
  prompt: string;
}

const QUESTION_WORDS = 12;
const ANSWER_WORDS = 20;

/**
 * Shared-prefix multi-turn chat: `systems` system prompts of ~systemWords words, `sessions` live
 * sessions over them; each arrival is the next turn of a random session (system prompt + the
 * history so far + a new question; each turn adds the question and an answer); after `turns`
 * turns a session is replaced by a new one. Uniform: single-turn prompts as long as an average
 * chat turn, nothing shared. Same options and seed, same sequence: every profile gets it.
 */
function workload(name: WorkloadName, o: GoodputStackOptions): () => Turn {
  const rnd = prng(hash32('goodput-stack', name, o.seed));
  if (name === 'uniform') {
    const words = o.systemWords + ((o.turns - 1) * (QUESTION_WORDS + ANSWER_WORDS)) / 2;
    return () => ({ sessionId: randomUUID(), prompt: text(rnd, Math.round(words)) });
  }
  const systems = Array.from({ length: o.systems }, (_, i) =>
    text(prng(hash32('system', i, o.seed)), Math.round(o.systemWords * (0.9 + 0.2 * rnd()))),
  );
  const pick = (): string => systems[Math.floor(rnd() * systems.length)] as string;
  const fresh = (): { id: string; system: string; history: string; turns: number } => ({
    // Session ids are UUIDs (the task contract); the prompts are what the seed fixes.
    id: randomUUID(),
    system: pick(),
    history: '',
    turns: 0,
  });
  const live = Array.from({ length: o.sessions }, fresh);
  return () => {
    const i = Math.floor(rnd() * live.length);
    const s = live[i] as ReturnType<typeof fresh>;
    const question = text(rnd, QUESTION_WORDS);
    const turn = { sessionId: s.id, prompt: `${s.system}\n${s.history}\nUser: ${question}` };
    s.history += `\nUser: ${question}\nAssistant: ${text(rnd, ANSWER_WORDS)}`;
    s.turns += 1;
    if (s.turns >= o.turns) live[i] = fresh();
    return turn;
  };
}

// ---- one rate ---------------------------------------------------------------------------------

interface TaskResult {
  /** Seconds after the rate's first arrival. */
  at: number;
  ttftMs: number;
  error?: string;
}

interface RateResult {
  rate: number;
  /** Tasks submitted in the measured window. */
  measured: number;
  /** TTFTs (ms) of the window's tasks that got a first token. */
  ttfts: number[];
  ttftP50: number;
  ttftP99: number;
  /** Measured tasks that failed or were abandoned (no first token within giveUpMs). */
  failed: number;
  /** Share of prompt tokens the engines found cached during the rate (all arrivals). */
  cachedShare: number;
  errors: string[];
  /** The host's 1-minute load average when the rate ended (a shared machine moves the figures). */
  loadavg1: number;
}

async function oneTask(stack: SimStack, o: GoodputStackOptions, turn: Turn): Promise<number> {
  const taskId = randomUUID();
  const t0 = performance.now();
  const admitted = await json({
    method: 'POST',
    url: `${stack.url}/v1/tasks`,
    body: JSON.stringify({
      task_id: taskId,
      session_id: turn.sessionId,
      workload: 'completion',
      model_ref: stack.modelRef,
      engine: 'llamacpp',
      ctx: 2048,
      priority: 'interactive',
      max_tokens: o.maxTokens,
      deadline_ms: 0,
      determinism: 'best_effort',
      seed: 1,
      prompt: turn.prompt,
    }),
    timeoutMs: o.giveUpMs,
  });
  if (admitted.status !== 202) {
    throw new Error(`admission ${admitted.status}: ${JSON.stringify(admitted.body).slice(0, 200)}`);
  }
  const r = await streamCall(
    { method: 'GET', url: `${stack.url}/v1/tasks/${taskId}/stream`, timeoutMs: o.giveUpMs },
    'orch',
  );
  if (!r.complete || !Number.isFinite(r.firstAt)) throw new Error('stream ended without its end');
  return r.firstAt - t0;
}

function engineCounters(stack: SimStack): { queried: number; hit: number } {
  let queried = 0;
  let hit = 0;
  for (const s of stack.sims) {
    queried += s.engine.counters.cacheQueries;
    hit += s.engine.counters.cacheHits;
  }
  return { queried, hit };
}

async function runRate(
  stack: SimStack,
  o: GoodputStackOptions,
  next: () => Turn,
  rate: number,
): Promise<RateResult> {
  const rnd = prng(hash32('arrivals', rate, o.seed));
  const total = o.warmupS + o.durationS;
  const before = engineCounters(stack);
  const pending: Promise<TaskResult>[] = [];
  const start = performance.now();
  let t = 0;
  for (;;) {
    t += -Math.log(1 - rnd()) / rate;
    if (t >= total) break;
    const wait = start + t * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const at = t;
    const turn = next();
    pending.push(
      oneTask(stack, o, turn).then(
        (ttftMs) => ({ at, ttftMs }),
        (err: unknown) => ({ at, ttftMs: Number.NaN, error: String(err).slice(0, 200) }),
      ),
    );
  }
  const results = await Promise.all(pending);
  await settle(stack, 100, 30_000);
  const after = engineCounters(stack);
  const window = results.filter((r) => r.at >= o.warmupS);
  const ttfts = window.map((r) => r.ttftMs).filter(Number.isFinite);
  const queried = after.queried - before.queried;
  return {
    rate,
    measured: window.length,
    ttfts: ttfts.map((v) => Math.round(v * 10) / 10),
    ttftP50: percentile(ttfts, 50),
    ttftP99: percentile(ttfts, 99),
    failed: window.filter((r) => r.error !== undefined).length,
    cachedShare: queried > 0 ? (after.hit - before.hit) / queried : 0,
    errors: [...new Set(window.flatMap((r) => (r.error ? [r.error] : [])))].slice(0, 3),
    loadavg1: Math.round((loadavg()[0] ?? Number.NaN) * 100) / 100,
  };
}

// ---- the sweep --------------------------------------------------------------------------------

/** Tasks per second of the measured window whose TTFT met the SLO. */
function goodput(r: RateResult, sloMs: number, o: GoodputStackOptions): number {
  return r.ttfts.filter((v) => v <= sloMs).length / o.durationS;
}

interface KneeRow {
  workload: WorkloadName;
  sloMs: number;
  profile: ProfileName;
  kneeRate: number;
  goodput: number;
  vsRoundRobin: number;
  vsDefault: number;
  ttftP50: number;
  ttftP99: number;
  cachedShare: number;
}

interface GoodputStackResult {
  rows: KneeRow[];
  /** Every rate measured, per `profile|workload`. */
  sweeps: Record<string, RateResult[]>;
  text: string;
  file: string;
  report: Record<string, unknown>;
}

/** The pool's profile per bench profile name (`default` is the built-in one). */
const CONFIG_PROFILE: Record<ProfileName, string> = {
  'round-robin': 'bench-round-robin',
  default: 'default',
  'prefix-cache': 'bench-prefix-cache',
};

function simSettings(o: GoodputStackOptions): Partial<SimConfig> {
  return {
    // One slot each, as the sidecar requires (ORCH-4016).
    slots: 1,
    ctx: 4096,
    prefillOverheadMs: o.prefillOverheadMs,
    prefillMsPerToken: o.prefillMsPerToken,
    itlMs: o.itlMs,
    jitter: 0.05,
    loadFactor: 1,
    noEos: true,
    cacheCapacity: o.cachePrompts,
    alwaysCachePrompt: true,
  };
}

const fmt = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');

function table(rows: readonly KneeRow[], o: GoodputStackOptions): string {
  const head = [
    'workload',
    'TTFT SLO',
    'profile',
    'knee (offered/s)',
    'goodput/s',
    'x round-robin',
    'x default',
    'TTFT p50 ms',
    'TTFT p99 ms',
    'prompt tokens cached',
  ];
  const body = rows.map((r) => [
    r.workload,
    `${r.sloMs} ms`,
    r.profile,
    String(r.kneeRate),
    fmt(r.goodput),
    `x${fmt(r.vsRoundRobin, 2)}`,
    `x${fmt(r.vsDefault, 2)}`,
    fmt(r.ttftP50, 0),
    fmt(r.ttftP99, 0),
    `${fmt(r.cachedShare * 100, 0)} %`,
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((b) => (b[i] as string).length)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (i === 0 || i === 2 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [
    `Goodput at the knee through the real stack (${o.replicas} engine-sim replicas behind Envoy, placement and ${o.replicas} sidecars)`,
    line(head),
    sep,
    ...body.map(line),
  ].join('\n');
}

export async function runGoodputStack(o: GoodputStackOptions): Promise<GoodputStackResult> {
  const started = Date.now();
  const log = o.log;
  const load0 = loadavg();
  let config: Config | undefined;
  log(`starting ${o.replicas} engine-sim replicas behind the real stack`);
  const stack = await startSimStack({
    replicas: o.replicas,
    sim: simSettings(o),
    journal: false,
    log,
    tweak: (c) => {
      config = c;
      c.placement.profiles = [
        {
          name: CONFIG_PROFILE['round-robin'],
          plugins: [{ type: 'round-robin', weight: 1 }],
        },
        {
          name: CONFIG_PROFILE['prefix-cache'],
          plugins: PREFIX_PROFILE.map((p) => ({
            ...p,
          })) as Config['placement']['profiles'][number]['plugins'],
        },
      ];
      c.sessions.max_turns = Math.max(c.sessions.max_turns, o.turns + 1);
      c.timeouts.queue_wait_ms = Math.max(c.timeouts.queue_wait_ms, 4 * o.giveUpMs);
      for (const pool of c.pools) {
        pool.queue.interactive.capacity = Math.max(pool.queue.interactive.capacity, 100_000);
      }
    },
  });
  try {
    const cfg = config;
    if (!cfg) throw new Error('the stack config was never built');
    const results: Record<string, RateResult[]> = {};
    for (const profile of PROFILES) {
      for (const name of WORKLOADS) {
        const pool = cfg.pools[0];
        if (!pool) throw new Error('stack config has no pool');
        pool.placement_profile = CONFIG_PROFILE[profile];
        await writeFile(stack.configPath, renderStackConfig(cfg));
        // Placement starts with no state (prefix records, sessions); the engines forget too.
        await stack.restartPlacement();
        await waitForReadyReplicas(stack.restUrl, stack.poolId, o.replicas, {
          timeoutMs: 120_000,
          intervalMs: 250,
        });
        for (const s of stack.sims) s.engine.clearCache();
        const next = workload(name, o);
        const sweep: RateResult[] = [];
        let best = 0;
        let low = 0;
        for (const rate of o.rates[name]) {
          const r = await runRate(stack, o, next, rate);
          sweep.push(r);
          log(
            `${profile} / ${name} @ ${rate}/s: goodput ${o.ttftSloMs.map((slo) => `${fmt(goodput(r, slo, o))}/s (${slo} ms)`).join(', ')}, TTFT p50 ${fmt(r.ttftP50, 0)} ms p99 ${fmt(r.ttftP99, 0)} ms, cached ${fmt(r.cachedShare * 100, 0)} %, load ${fmt(r.loadavg1, 2)}, failed ${r.failed}/${r.measured}${r.errors[0] ? ` (${r.errors[0]})` : ''}`,
          );
          const g = goodput(r, o.ttftSloMs[0] ?? Infinity, o);
          best = Math.max(best, g);
          low = g < o.stopBelow * best ? low + 1 : 0;
          if (low >= 2) break;
        }
        results[`${profile}|${name}`] = sweep;
      }
    }
    const rows: KneeRow[] = [];
    for (const name of WORKLOADS) {
      for (const sloMs of o.ttftSloMs) {
        // The knee: the rate with the highest goodput (the lowest such rate on ties).
        const knee = (profile: ProfileName): { r: RateResult; g: number } => {
          const sweep = results[`${profile}|${name}`] ?? [];
          let best = { r: sweep[0] as RateResult, g: -1 };
          for (const r of sweep) {
            const g = goodput(r, sloMs, o);
            if (g > best.g) best = { r, g };
          }
          return best;
        };
        const rr = knee('round-robin').g;
        const def = knee('default').g;
        for (const profile of PROFILES) {
          const { r: k, g } = knee(profile);
          rows.push({
            workload: name,
            sloMs,
            profile,
            kneeRate: k.rate,
            goodput: g,
            vsRoundRobin: rr > 0 ? g / rr : Number.NaN,
            vsDefault: def > 0 ? g / def : Number.NaN,
            ttftP50: k.ttftP50,
            ttftP99: k.ttftP99,
            cachedShare: k.cachedShare,
          });
        }
      }
    }
    const load1 = loadavg();
    const la = (l: number[]): string => l.map((n) => n.toFixed(2)).join(' ');
    const text = [
      table(rows, o),
      `(engine-sim, one slot per replica: TTFT ${o.prefillOverheadMs} ms + ${o.prefillMsPerToken} ms per uncached prompt token, ${o.maxTokens} tokens at ${o.itlMs} ms, ${o.cachePrompts} prompts cached per engine; ${o.warmupS} s warm-up + ${o.durationS} s measured per rate; load average ${la(load0)} at start, ${la(load1)} at end, on ${cpus().length} CPUs)`,
    ].join('\n');
    const report = {
      bench: 'goodput-stack',
      req: ['ORCH-3130', 'ORCH-3131'],
      generated_at: new Date().toISOString(),
      duration_s: Math.round((Date.now() - started) / 1000),
      machine: {
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model,
        loadavg_1_5_15_start: load0.map((n) => Math.round(n * 100) / 100),
        loadavg_1_5_15_end: load1.map((n) => Math.round(n * 100) / 100),
      },
      engine: `engine-sim (${stack.sims[0]?.engine.config.version}) with alwaysCachePrompt, one slot per replica`,
      params: { ...o, log: undefined, out: undefined },
      profiles: {
        'round-robin': [{ type: 'round-robin', weight: 1 }],
        default: 'built-in: least-load 1, session-affinity 2, kv-headroom 0.25',
        'prefix-cache': PREFIX_PROFILE,
      },
      rows,
      sweeps: results,
      notes: [
        'Every task is POST /v1/tasks + GET /v1/tasks/{id}/stream through the Envoy edge; TTFT is from the POST to the first token on the client clock.',
        'Goodput = tasks submitted in the measured window whose TTFT met the SLO, per second of the window; the knee is the swept rate with the highest goodput.',
        'A stream with no byte for giveUpMs is abandoned (a miss); a sweep stops once goodput falls under stopBelow x the best so far at two rates in a row.',
        'Between profiles the pool placement_profile is rewritten and placement restarted; every engine cache is emptied.',
      ],
    };
    const file = o.out ?? join(REPO_ROOT, '.artifacts', 'bench', 'goodput-stack.json');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(file.replace(/\.json$/, '.txt'), `${text}\n`);
    return { rows, sweeps: results, text, file, report };
  } catch (error) {
    for (const name of ['placement', 'sidecar-0', 'envoy']) {
      log(`${name}: ${stack.tail(name).slice(-8).join('\n  ')}`);
    }
    throw error;
  } finally {
    await stack.close();
  }
}
