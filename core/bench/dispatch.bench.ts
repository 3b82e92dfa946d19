// ORCH-3008/3075 benchmark (not a timed test): dispatch decisions with 1,000 replicas and 10,000
// queued tasks (BENCH_REPLICAS / BENCH_QUEUED to scale), against a naive linear-scan baseline in
// the same run.
// Run: npx tsx core/bench/dispatch.bench.ts  → prints JSON and writes .artifacts/bench/core.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Scheduler } from '../src/index.js';
import type { Priority, ReplicaState } from '../src/index.js';
import { NaiveScheduler } from './naive-baseline.js';
import type { NaiveTask } from './naive-baseline.js';

// BENCH_REPLICAS / BENCH_QUEUED scale the workload (ORCH-5008's scale check: 10,000 / 100,000).
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1_000);
const SLOTS = 4;
const QUEUED = Number(process.env.BENCH_QUEUED ?? 10_000);
const TENANTS = 100;
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 20_000);
const BASELINE_DECISIONS = Number(process.env.BENCH_BASELINE_DECISIONS ?? 2_000);
const WARMUP = 2_000;

// Deterministic xorshift so every run measures the same workload.
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function summarize(ns: number[]): { p50Us: number; p99Us: number; maxUs: number; perSec: number } {
  const sorted = [...ns].sort((a, b) => a - b);
  const total = ns.reduce((a, b) => a + b, 0);
  const us = (v: number): number => Math.round(v / 10) / 100;
  return {
    p50Us: us(percentile(sorted, 50)),
    p99Us: us(percentile(sorted, 99)),
    maxUs: us(sorted[sorted.length - 1] ?? 0),
    perSec: Math.round(ns.length / (total / 1e9)),
  };
}

function replicaState(i: number): ReplicaState {
  return {
    replica_id: `r${String(i).padStart(4, '0')}`,
    pool_id: 'pool-a',
    engine: 'llamacpp',
    engine_version: 'b1',
    model_ref: 'm',
    model_digest: 'sha256:aa',
    sampler_profile_version: 'v1',
    canary_hash: 'c',
    ctx_max: 4096,
    ready: true,
    slots_total: SLOTS,
    slots_free: SLOTS,
    kv_usage_ratio: 0,
  };
}

function benchCore(): { summary: ReturnType<typeof summarize>; decisions: number } {
  let now = 0;
  const sched = new Scheduler({
    config: {
      pools: [{ id: 'pool-a', engine: 'llamacpp', modelRef: 'm', ctxMax: 4096 }],
      queues: {
        interactive: { capacity: Math.max(50_000, QUEUED), maxWaitMs: 1e12 },
        batch: { capacity: Math.max(50_000, QUEUED), maxWaitMs: 1e12 },
      },
      terminalRetention: 1_000,
    },
    clock: () => now,
  });
  for (let i = 0; i < REPLICAS; i++) sched.upsertReplica(replicaState(i));
  const rand = rng(42);
  let n = 0;
  const submit = (): void => {
    const id = `t${n++}`;
    const priority: Priority = rand() < 0.5 ? 'interactive' : 'batch';
    const r = sched.admit(
      {
        task_id: id,
        model_ref: 'm',
        engine: 'llamacpp',
        ctx: 1024,
        priority,
        max_tokens: 64,
        // A quarter of tasks carry (generous) deadlines so EDF paths are exercised.
        deadline_ms: rand() < 0.25 ? 1e9 + Math.floor(rand() * 1e6) : 0,
      },
      `tenant-${Math.floor(rand() * TENANTS)}`,
      { promptTokens: 32 },
    );
    if (!r.ok) throw r.error;
    sched.attach(id);
  };
  // Half the slots busy, then QUEUED tasks queued.
  const busy = (REPLICAS * SLOTS) / 2;
  for (let i = 0; i < busy + QUEUED; i++) submit();
  const leases: string[] = sched.dispatch(busy).dispatches.map((d) => d.leaseId);
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + DECISIONS; i++) {
    // Untimed churn: one lease ends, one task arrives, so depth and occupancy stay constant.
    const idx = Math.floor(rand() * leases.length);
    const ended = leases[idx] as string;
    leases[idx] = leases[leases.length - 1] as string;
    leases.pop();
    sched.leaseFinished(ended, { reason: 'stop', tokensIn: 32, tokensOut: 64 });
    submit();
    now += 1;
    const t0 = process.hrtime.bigint();
    const batch = sched.dispatch(1);
    const dt = Number(process.hrtime.bigint() - t0);
    const d = batch.dispatches[0];
    if (!d) throw new Error('bench: no dispatch');
    leases.push(d.leaseId);
    if (i >= WARMUP) samples.push(dt);
  }
  const depth = sched.snapshot().queueDepth.reduce((a, q) => a + q.depth, 0);
  if (depth !== QUEUED) throw new Error(`bench: queue depth drifted to ${depth}`);
  return { summary: summarize(samples), decisions: samples.length };
}

function benchNaive(): { summary: ReturnType<typeof summarize>; decisions: number } {
  const naive = new NaiveScheduler();
  for (let i = 0; i < REPLICAS; i++) {
    naive.replicas.push({
      id: replicaState(i).replica_id,
      ready: true,
      slotsTotal: SLOTS,
      active: 0,
    });
  }
  const rand = rng(42);
  let n = 0;
  const submit = (): void => {
    const priority: Priority = rand() < 0.5 ? 'interactive' : 'batch';
    const t: NaiveTask = {
      id: `t${n}`,
      tenant: `tenant-${Math.floor(rand() * TENANTS)}`,
      priority,
      seq: n++,
      absDeadline: Infinity,
    };
    naive.queued.push(t);
  };
  const busy = (REPLICAS * SLOTS) / 2;
  for (let i = 0; i < busy + QUEUED; i++) submit();
  const running: { replica: { active: number } }[] = naive.occupy(busy);
  const samples: number[] = [];
  for (let i = 0; i < WARMUP / 10 + BASELINE_DECISIONS; i++) {
    const idx = Math.floor(rand() * running.length);
    const ended = running[idx] as { replica: { active: number } };
    running[idx] = running[running.length - 1] as { replica: { active: number } };
    running.pop();
    ended.replica.active -= 1;
    submit();
    const t0 = process.hrtime.bigint();
    const d = naive.decide();
    const dt = Number(process.hrtime.bigint() - t0);
    if (!d) throw new Error('naive: no dispatch');
    running.push(d);
    if (i >= WARMUP / 10) samples.push(dt);
  }
  return { summary: summarize(samples), decisions: samples.length };
}

const core = benchCore();
const baseline = benchNaive();
const result = {
  bench: 'core.dispatch',
  node: process.version,
  workload: { replicas: REPLICAS, slotsPerReplica: SLOTS, queuedTasks: QUEUED, tenants: TENANTS },
  target: { p99Us: 50, decisionsPerSec: 20_000 },
  core: { decisions: core.decisions, ...core.summary },
  naiveLinearScan: { decisions: baseline.decisions, ...baseline.summary },
  speedupP50: Math.round((baseline.summary.p50Us / Math.max(0.01, core.summary.p50Us)) * 10) / 10,
  meetsTarget: core.summary.p99Us <= 50 && core.summary.perSec >= 20_000,
};
const here = dirname(fileURLToPath(import.meta.url));
// The default workload keeps its historical file name; a scaled one gets its own.
const scaled = REPLICAS !== 1_000 || QUEUED !== 10_000;
const out = resolve(
  here,
  `../../.artifacts/bench/core${scaled ? `-${REPLICAS}r-${QUEUED}q` : ''}.json`,
);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${out}`);
