// ORCH-5008 side-by-side overhead bench (not a timed test): one run, six paths to the same
// engines, interleaved — direct, Envoy with a static route (the floor), the product's shape with
// stand-ins that do nothing (paths/shape-floor.ts), the full OrchQueue path,
// the OpenAI path, and the LiteLLM proxy as a peer. The engines are engine-sim replicas in
// zero-compute mode (fixed TTFT and inter-token gap, fixed-length streams), one slot each as the
// sidecar requires (ORCH-4016), so what a path adds is all that varies. Each level runs `rounds`
// rounds; a round runs every path in a rotated order (c = 1: one request per path per iteration,
// back to back with the same seed; c > 1: c concurrent streams per path, stream j on engine j
// where the client pins the engine). Then a per-hop pass times single requests hop by hop.
// Writes .artifacts/bench/side-by-side.json and returns the printed tables.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supervisor, freePorts, loadToolchain } from '@llama-orch/tools';
import { zeroComputeConfig } from '../engine-sim/config.js';
import { startSimStack } from '../engine-sim/sim-stack.js';
import { settle } from './placement-metrics.js';
import { ensureBundles } from './runtime-bundles.js';
import type { SimStack } from '../engine-sim/sim-stack.js';
import { REPO_ROOT } from '../src/stack/services.js';
import { startEnvoyFloor } from './paths/envoy-floor.js';
import type { EnvoyFloor } from './paths/envoy-floor.js';
import { startShapeFloor } from './paths/shape-floor.js';
import type { ShapeFloor } from './paths/shape-floor.js';
import { LITELLM_VERSION, startLiteLlm } from './paths/litellm.js';
import { PATH_LABEL, hopTable, levelTable, summariseLevel } from './paths/report.js';
import { CpuLedger, cpuTable, sampleCpu } from './paths/cpu.js';
import type { CpuGroups } from './paths/cpu.js';
import type { HopRow, LevelReport, Round } from './paths/report.js';
import { PATHS, rotated, runPath } from './paths/runners.js';
import { perHop } from './paths/per-hop.js';
import type { PathName, Sample, Targets } from './paths/runners.js';

interface SideBySideOptions {
  /** Engine-sim replicas (each behind its own sidecar); replicas × slots ≥ the highest level. */
  replicas: number;
  /**
   * Slots per replica (default 1). More slots on fewer replicas serve the same concurrency with
   * fewer sidecar processes: on a small machine every sidecar shares the cores the engines and
   * the client use, which a GPU fleet (a sidecar per worker) does not.
   */
  slots?: number;
  /** Concurrency levels, e.g. [1, 64]. */
  levels: number[];
  rounds: number;
  /** Requests per path per round at c = 1. */
  iterations: number;
  maxTokens: number;
  ttftMs: number;
  itlMs: number;
  warmup: number;
  /** Single requests per path timed hop by hop. */
  perHop: number;
  /** Placement's `journal.synchronous` (default full: an fsync per admission batch). */
  journalSync?: 'full' | 'normal';
  log: (msg: string) => void;
  /** Output file (default .artifacts/bench/side-by-side.json). */
  out?: string;
}

export const DEFAULTS: Omit<SideBySideOptions, 'log'> = {
  replicas: 64,
  levels: [1, 64],
  rounds: 5,
  iterations: 10,
  maxTokens: 32,
  ttftMs: 20,
  // A GPU-like gap: 64 streams at 50 tok/s each already keep two shared cores busy relaying.
  itlMs: 20,
  warmup: 3,
  perHop: 20,
};

const PROMPT = 'Once upon a time, in a small village by the sea,';

interface SideBySideResult {
  report: Record<string, unknown>;
  levels: LevelReport[];
  /** Per concurrent level: path → component → µs of CPU per token (paths/cpu.ts). */
  cpu: { concurrency: number; us_per_token: Record<string, Record<string, number>> }[];
  hops: HopRow[];
  text: string;
  file: string;
}

export async function runSideBySide(o: SideBySideOptions): Promise<SideBySideResult> {
  const started = Date.now();
  const log = o.log;
  const maxC = Math.max(...o.levels);
  const slots = o.slots ?? 1;
  if (o.replicas * slots < maxC) {
    throw new Error(`replicas × slots (${o.replicas} × ${slots}) must be >= concurrency ${maxC}`);
  }
  const toolchain = await loadToolchain();
  const dir = await mkdtemp(join(tmpdir(), 'llama-orch-bench-'));
  const sup = new Supervisor({ write: () => undefined, graceMs: 3000, tailLines: 400 });
  let stack: SimStack | undefined;
  try {
    log(
      `starting engine-sim x${o.replicas}, ${slots} slot(s) each (zero-compute: TTFT ${o.ttftMs} ms, gap ${o.itlMs} ms)`,
    );
    // What production runs: placement and the sidecars as plain-node bundles.
    ensureBundles(['placement', 'sidecar']);
    stack = await startSimStack({
      replicas: o.replicas,
      placementRuntime: 'node',
      sidecarRuntime: 'node',
      sim: { ...zeroComputeConfig(o.ttftMs, o.itlMs), slots },
      envoy: { accessLog: true },
      log,
      tweak: (c) => {
        // Each pool carries its own copy of the queue limits once the config is parsed.
        for (const pool of c.pools) {
          pool.queue.interactive.capacity = Math.max(pool.queue.interactive.capacity, 4 * maxC);
          // Like for like: the direct request sends the raw prompt, so the pool does too. A chat
          // pool (the llama.cpp default) renders the engine's template first: one more engine
          // round trip (POST /apply-template) per task that the direct path would not make.
          pool.prompt_format = 'raw';
        }
        // The admission journal's fsync policy (ORCH-4030; default full, as in the config schema).
        c.journal.synchronous = o.journalSync ?? 'full';
      },
    });
    const s = stack;
    const engines = s.sims.map((x) => x.url);
    const ports = await freePorts(8);
    const [floorPort, floorAdmin, llPort, envoy, admin, rest, extProc, relay] = ports as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    log('starting the Envoy floor, the shape floor and the LiteLLM proxy');
    const floor: EnvoyFloor = await startEnvoyFloor(
      sup,
      toolchain,
      dir,
      { listen: floorPort, admin: floorAdmin },
      engines[0] as string,
    );
    const shape: ShapeFloor = await startShapeFloor(sup, toolchain, dir, {
      envoy,
      admin,
      rest,
      extProc,
      relay,
    });
    const simModel = s.sims[0]?.engine.config.model ?? 'sim';
    const litellm = await startLiteLlm(
      sup,
      dir,
      llPort,
      engines.map((url) => ({ url, model: simModel })),
      log,
    );
    const t: Targets = {
      engines,
      floor: floor.url,
      shape: shape.url,
      edge: s.url,
      litellm: litellm.url,
      modelRef: s.modelRef,
      prompt: PROMPT,
      maxTokens: o.maxTokens,
      timeoutMs: 120_000,
    };
    const one = async (p: PathName, k: number, seed: number): Promise<Sample> => {
      if (p === 'full' || p === 'openai') await settle(s, 10, 5_000);
      return runPath(t, p, k, seed);
    };

    // Every process of the run, for the CPU each path costs per token at c > 1 (paths/cpu.ts).
    const named = (name: string): number[] =>
      sup
        .list()
        .filter((c) => c.name === name)
        .map((c) => c.pid);
    const pidOf = (name: string): number[] => {
      const pid = s.pid(name);
      return pid === undefined ? [] : [pid];
    };
    const groups: CpuGroups = {
      'bench (client, engines)': [process.pid],
      'envoy edge': pidOf('envoy'),
      placement: pidOf('placement'),
      sidecars: Array.from({ length: o.replicas }, (_, i) => pidOf(`sidecar-${i}`)).flat(),
      'envoy floor': named('envoy-floor'),
      'envoy shape': named('envoy-shape'),
      'shape stand-ins': [...named('shape-placement'), ...named('shape-relay')],
      litellm: named('litellm'),
    };
    const cpu: { concurrency: number; us_per_token: Record<string, Record<string, number>> }[] = [];

    log(`warm-up: ${o.warmup} per path`);
    for (let i = 0; i < o.warmup; i++) for (const p of PATHS) await one(p, 0, 1 + i);

    const levels: LevelReport[] = [];
    let seed = 1000;
    for (const c of o.levels) {
      log(`c=${c}: ${o.rounds} rounds`);
      const rounds: Round[] = [];
      const ledger = new CpuLedger();
      for (let r = 0; r < o.rounds; r++) {
        const round: Round = { samples: {}, wallMs: {} };
        if (c === 1) {
          for (let i = 0; i < o.iterations; i++) {
            seed += 1;
            for (const p of rotated(r + i)) {
              const x = await one(p, 0, seed);
              (round.samples[p] ??= []).push(x);
              round.wallMs[p] = (round.wallMs[p] ?? 0) + (x.endAt - x.t0);
            }
          }
        } else {
          const seeds = Array.from({ length: c }, (_, j) => seed + j);
          seed += c;
          for (const p of rotated(r)) {
            if (p === 'full' || p === 'openai') await settle(s, 10, 5_000);
            const before = sampleCpu(groups);
            const w0 = performance.now();
            const batch = await Promise.all(seeds.map((sd, j) => runPath(t, p, j, sd)));
            round.wallMs[p] = performance.now() - w0;
            round.samples[p] = batch;
            const tokens = batch.reduce((n, x) => n + x.tokens, 0);
            ledger.add(p, before, sampleCpu(groups), tokens);
          }
        }
        rounds.push(round);
      }
      levels.push(summariseLevel(c, rounds));
      if (c > 1) cpu.push({ concurrency: c, us_per_token: ledger.perToken() });
    }

    log(`per-hop pass: ${o.perHop} single requests per path`);
    const hops = await perHop(o.perHop, s, floor, shape, t);

    const text = [
      levelTable(levels),
      '',
      ...cpu.flatMap((l) => [
        cpuTable(l.concurrency, l.us_per_token, (p) => PATH_LABEL[p as PathName] ?? p),
        '(utime + stime from /proc/<pid>/stat per batch, over the tokens it relayed; 10 ms clock ticks)',
        '',
      ]),
      hopTable(hops),
      `(engine-sim zero-compute: TTFT ${o.ttftMs} ms, gap ${o.itlMs} ms, ${o.maxTokens} tokens; ${o.replicas} replicas × ${slots} slot(s); load average ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')} on ${cpus().length} CPUs)`,
    ].join('\n');
    const report = {
      bench: 'side-by-side',
      req: 'ORCH-5008',
      generated_at: new Date().toISOString(),
      duration_s: Math.round((Date.now() - started) / 1000),
      machine: {
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model,
        loadavg_1_5_15: loadavg().map((n) => Math.round(n * 100) / 100),
      },
      engine: `engine-sim zero-compute (${s.sims[0]?.engine.config.version}), ${slots} slot(s) per replica`,
      peer: `litellm[proxy]==${LITELLM_VERSION}`,
      params: { ...o, log: undefined, out: undefined, prompt: PROMPT },
      levels,
      cpu_per_token_us: cpu,
      hops,
      notes: [
        'TTFT is from the first request byte to the first token at the client: for OrchQueue from POST /v1/tasks (submission + stream), for the others from their one request.',
        '+TTFT is the paired difference to the direct request of the same round, slot and seed; p50/p99 over every pair of the level; "+p50 rounds" is the min..max of the per-round medians (the spread).',
        'c=1 runs one request per path per iteration in a rotated order; c>1 runs c concurrent streams per path, one path after the other in a rotated order per round.',
        'decode tok/s is the median per-stream (tokens-1)/(last-first token); throughput is all tokens over the wall time of the batches (c>1) or the sum of request times (c=1).',
        'Before each OrchQueue/OpenAI request or batch the bench waits (outside the timing) until placement reports no open lease, as a direct client finds the engine slot free.',
        'Per-hop figures: Envoy access-log COMMON_DURATION timings, placement_extproc_hold_ms (sum delta per request), and the in-process engine-sim marks on the client clock.',
      ],
    };
    const file = o.out ?? join(REPO_ROOT, '.artifacts', 'bench', 'side-by-side.json');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(file.replace(/\.json$/, '.txt'), `${text}\n`);
    return { report, levels, cpu, hops, text, file };
  } catch (error) {
    // What the processes last said, so a failed run explains itself.
    for (const name of ['placement', 'sidecar-0', 'envoy']) {
      log(`${name}: ${(stack?.tail(name) ?? []).slice(-8).join('\n  ')}`);
    }
    throw error;
  } finally {
    await sup.stopAll();
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
