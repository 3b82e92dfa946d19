// Placement goodput at the knee (ORCH-3130/3131): round-robin vs the default profile vs the
// prefix-cache profile, on 16 simulated replicas, for a shared-prefix multi-turn chat workload and
// a uniform one.
//
// What runs: core's real Scheduler (admission, queues, fair share, sessions, dispatch and the
// placement profiles exactly as configured) against 16 replicas modelled with the engine
// simulator's own prefix cache (engine-sim/prefix-cache.ts: longest block-aligned cached prefix,
// bounded LRU), tokenizer and timing constants (TTFT = overhead + uncached prompt tokens × prefill
// cost; inter-token latency growing with busy slots). Time is virtual (a discrete-event loop drives
// core's injected clock), so the sweep is deterministic and fast; Envoy, ext_proc, the sidecars
// and HTTP are not in this path (their overhead is what bench:paths measures).
//
// Goodput = tasks per second whose TTFT (admission → first token) meets the SLO; the knee is the
// offered rate with the highest goodput in the sweep.
import type { Dispatch, SchedulerConfig } from '@llama-orch/core';
import { Scheduler } from '@llama-orch/core';
import { DEFAULT_SIM_CONFIG } from '../../engine-sim/config.js';
import { hash32, prng } from '../../engine-sim/model.js';
import { PrefixCache } from '../../engine-sim/prefix-cache.js';
import { text } from '../workload-text.js';

export interface GoodputOptions {
  replicas: number;
  slots: number;
  /** Prompts an engine keeps cached (its KV budget), per replica. */
  cachePrompts: number;
  maxTokens: number;
  /** TTFT SLOs the goodput is reported for. */
  ttftSloMs: readonly number[];
  /** Virtual seconds per rate. */
  durationS: number;
  rates: readonly number[];
  seed: number;
  /**
   * Engine model. `independent`: engine-sim's own (each request's prefill runs on its own, only
   * its slot is busy). `serial-prefill`: a replica computes one prefill at a time (prefills share
   * the GPU, as in a real engine), so uncached prompt tokens also delay the requests behind them.
   */
  engine: 'independent' | 'serial-prefill';
}

export const DEFAULT_GOODPUT: GoodputOptions = {
  replicas: 16,
  slots: 4,
  cachePrompts: 8,
  maxTokens: 32,
  ttftSloMs: [1000, 500],
  durationS: 30,
  rates: [16, 24, 32, 40, 48, 56, 64, 72, 80, 96, 112],
  seed: 7,
  engine: 'independent',
};

/** The two engine models the bench reports: engine-sim as it is, and prefills sharing the GPU. */
export const ENGINE_MODELS: readonly Partial<GoodputOptions>[] = [
  { engine: 'independent', slots: 4 },
  { engine: 'serial-prefill', slots: 8 },
];

export type PolicyName = 'round-robin' | 'default' | 'prefix-cache';
export type WorkloadName = 'shared-prefix multi-turn' | 'uniform';

/** The prefix-cache profile the bench measures (as a config file would name it). */
export const PREFIX_PROFILE = [
  { type: 'prefix-cache', weight: 2, params: { block_chars: 64, max_load_gap: 0.5 } },
  { type: 'least-load', weight: 1 },
  { type: 'session-affinity', weight: 1 },
  { type: 'queue-depth', weight: 1 },
];

// ---- workloads -------------------------------------------------------------------------------

interface Request {
  at: number;
  sessionId: string;
  prompt: string;
}

/**
 * Shared-prefix multi-turn chat: 32 system prompts of ~900 words, 256 live sessions spread over
 * them; each arrival is the next turn of a random session (its prompt: system prompt + the
 * history so far + a new 30-word question; each turn adds the question and a 40-word answer);
 * after 6 turns a session is replaced by a new one. Uniform: single-turn prompts of the same
 * length with nothing shared.
 */
function workload(name: WorkloadName, rate: number, o: GoodputOptions): Request[] {
  const rnd = prng(hash32('workload', name, rate, o.seed));
  const systems = Array.from({ length: 32 }, (_, i) =>
    text(prng(hash32('system', i, o.seed)), 850 + Math.floor(rnd() * 100)),
  );
  const sessions = Array.from({ length: 256 }, (_, i) => ({
    id: `s${i}`,
    system: systems[i % systems.length] as string,
    history: '',
    turns: 0,
  }));
  let next = sessions.length;
  const out: Request[] = [];
  let t = 0;
  for (;;) {
    t += (-Math.log(1 - rnd()) / rate) * 1000;
    if (t >= o.durationS * 1000) break;
    if (name === 'uniform') {
      out.push({ at: t, sessionId: `u${out.length}`, prompt: text(rnd, 1000) });
      continue;
    }
    const s = sessions[Math.floor(rnd() * sessions.length)] as (typeof sessions)[number];
    const question = text(rnd, 30);
    out.push({ at: t, sessionId: s.id, prompt: `${s.system}\n${s.history}\nUser: ${question}` });
    s.history += `\nUser: ${question}\nAssistant: ${text(rnd, 40)}`;
    if (++s.turns >= 6) {
      s.id = `s${next++}`;
      s.system = systems[Math.floor(rnd() * systems.length)] as string;
      s.history = '';
      s.turns = 0;
    }
  }
  return out;
}

// ---- the engine model (engine-sim's cache and timing constants) ----------------------------

const tokenCache = new Map<string, number>();
/** engine-sim's tokenizer (tokenize in model.ts), memoised per piece: the bench hashes a lot. */
function tokens(prompt: string): number[] {
  const pieces = prompt.match(/\s*[\p{L}\p{N}]+|\s*[^\s\p{L}\p{N}]|\s+$/gu) ?? [];
  return pieces.map((p) => {
    let id = tokenCache.get(p);
    if (id === undefined) {
      id = 1000 + (hash32('tok', p) % 30_000);
      tokenCache.set(p, id);
    }
    return id;
  });
}

interface Replica {
  id: string;
  cache: PrefixCache;
  busy: number;
  /** serial-prefill: when the replica's current prefill work ends. */
  prefillFreeAt: number;
  /** Requests whose prefill has not finished (the engine's `waiting`, reported by heartbeat). */
  waiting: number;
}

// ---- the discrete-event loop ----------------------------------------------------------------

interface Outcome {
  offered: number;
  completed: number;
  /** TTFT of every task that got a first token, ms. */
  ttfts: number[];
  ttftP50: number;
  ttftP99: number;
  rejected: number;
  cachedShare: number;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length, Math.max(1, Math.ceil((p / 100) * v.length))) - 1] as number;
}

function schedulerConfig(policy: PolicyName, o: GoodputOptions): SchedulerConfig {
  const base: SchedulerConfig = {
    pools: [{ id: 'chat', engine: 'llamacpp', modelRef: 'sim', ctxMax: 32_768 }],
    queues: {
      interactive: { capacity: 100_000, fullPolicy: 'reject', maxWaitMs: 60_000 },
    },
    sessions: { ttlMs: 600_000, maxTurns: 1000 },
    terminalRetention: 1000,
    attachTimeoutMs: 600_000,
  };
  if (policy === 'default') return base;
  const plugins = policy === 'round-robin' ? [{ type: 'round-robin', weight: 1 }] : PREFIX_PROFILE;
  return {
    ...base,
    pools: base.pools.map((p) => ({ ...p, placementProfile: 'bench' })),
    // Round-robin must see every replica, not only the k least loaded.
    placement: {
      ...(policy === 'round-robin' ? { candidates: o.replicas } : {}),
      profiles: [{ name: 'bench', plugins }],
    },
  };
}

export function simulate(
  policy: PolicyName,
  name: WorkloadName,
  rate: number,
  o: GoodputOptions = DEFAULT_GOODPUT,
): Outcome {
  const sim = DEFAULT_SIM_CONFIG;
  let now = 0;
  const sched = new Scheduler({
    config: schedulerConfig(policy, o),
    clock: () => now,
  });
  const replicas = new Map<string, Replica>();
  for (let i = 0; i < o.replicas; i++) {
    const id = `r${String(i).padStart(2, '0')}`;
    replicas.set(id, {
      id,
      cache: new PrefixCache(sim.cacheBlock, o.cachePrompts),
      busy: 0,
      prefillFreeAt: 0,
      waiting: 0,
    });
    report(id, 0, 0);
  }
  function report(id: string, busy: number, waiting: number): void {
    // The sidecar's heartbeat: slots and the engine's waiting requests (queue-depth scorer).
    sched.upsertReplica({
      replica_id: id,
      pool_id: 'chat',
      engine: 'llamacpp',
      engine_version: 'sim',
      model_ref: 'sim',
      model_digest: 'sha256:sim',
      sampler_profile_version: 'v1',
      canary_hash: 'c',
      ctx_max: 32_768,
      ready: true,
      slots_total: o.slots,
      slots_free: o.slots - busy,
      kv_usage_ratio: 0,
      queue_depth: waiting,
    });
  }
  const requests = workload(name, rate, o);
  // Pending engine events, kept sorted by time (few hundred at most in flight).
  const events: { at: number; run: () => void }[] = [];
  const push = (at: number, run: () => void): void => {
    let i = events.length;
    while (i > 0 && (events[i - 1] as { at: number }).at > at) i--;
    events.splice(i, 0, { at, run });
  };
  const admittedAt = new Map<string, number>();
  const ttfts: number[] = [];
  let rejected = 0;
  let promptTokens = 0;
  let cachedTokens = 0;
  const start = (d: Dispatch): void => {
    const r = replicas.get(d.replicaId) as Replica;
    const toks = tokens(d.task.prompt);
    const cached = r.cache.lookup(toks);
    promptTokens += toks.length;
    cachedTokens += cached;
    r.busy += 1;
    const prefill = sim.prefillOverheadMs + (toks.length - cached) * sim.prefillMsPerToken;
    // engine-sim's ITL slowdown: linear up to loadFactor with busy slots.
    const itl = sim.itlMs * (1 + ((sim.loadFactor - 1) * r.busy) / o.slots);
    r.cache.insert(toks);
    const begin = o.engine === 'serial-prefill' ? Math.max(now, r.prefillFreeAt) : now;
    const first = begin + prefill;
    r.prefillFreeAt = first;
    r.waiting += 1;
    report(r.id, r.busy, r.waiting);
    push(first, () => {
      r.waiting -= 1;
      report(r.id, r.busy, r.waiting);
      sched.leaseStarted(d.leaseId);
      ttfts.push(first - (admittedAt.get(d.taskId) as number));
    });
    push(first + (o.maxTokens - 1) * itl, () => {
      r.busy -= 1;
      report(r.id, r.busy, r.waiting);
      sched.leaseFinished(d.leaseId, {
        reason: 'length',
        tokensIn: toks.length,
        tokensOut: o.maxTokens,
      });
      dispatch();
    });
  };
  const dispatch = (): void => {
    for (const d of sched.dispatch().dispatches) start(d);
  };
  let next = 0;
  for (;;) {
    const req = requests[next];
    const ev = events[0];
    if (!req && !ev) break;
    if (req && (!ev || req.at <= ev.at)) {
      now = req.at;
      next++;
      const id = `t${next}`;
      const r = sched.admit(
        {
          task_id: id,
          session_id: req.sessionId,
          model_ref: 'sim',
          engine: 'llamacpp',
          ctx: 32_768,
          priority: 'interactive',
          max_tokens: o.maxTokens,
          prompt: req.prompt,
        },
        'bench',
      );
      if (!r.ok) {
        rejected++;
        continue;
      }
      admittedAt.set(id, now);
      sched.attach(id);
      dispatch();
    } else if (ev) {
      events.shift();
      now = ev.at;
      ev.run();
    }
    sched.tick();
  }
  return {
    offered: rate,
    completed: ttfts.length,
    ttfts,
    ttftP50: percentile(ttfts, 50),
    ttftP99: percentile(ttfts, 99),
    rejected,
    cachedShare: promptTokens === 0 ? 0 : cachedTokens / promptTokens,
  };
}

export interface KneeRow {
  workload: WorkloadName;
  policy: PolicyName;
  sloMs: number;
  kneeRate: number;
  /** Tasks per second with TTFT <= sloMs, at the knee. */
  goodput: number;
  ttftP50: number;
  ttftP99: number;
  cachedShare: number;
}

/** Goodput of one run: tasks per second of the run whose TTFT met the SLO. */
export function goodput(out: Outcome, sloMs: number, o = DEFAULT_GOODPUT): number {
  return out.ttfts.filter((t) => t <= sloMs).length / o.durationS;
}

/**
 * Sweep the rates once; for each SLO the knee is the rate with the highest goodput (the lowest
 * such rate on ties).
 */
export function knees(policy: PolicyName, name: WorkloadName, o = DEFAULT_GOODPUT): KneeRow[] {
  const runs = o.rates.map((rate) => simulate(policy, name, rate, o));
  return o.ttftSloMs.map((sloMs) => {
    let best = runs[0] as Outcome;
    for (const r of runs) if (goodput(r, sloMs, o) > goodput(best, sloMs, o)) best = r;
    return {
      workload: name,
      policy,
      sloMs,
      kneeRate: best.offered,
      goodput: goodput(best, sloMs, o),
      ttftP50: best.ttftP50,
      ttftP99: best.ttftP99,
      cachedShare: best.cachedShare,
    };
  });
}
