// One test per typed error admission produces (runtime-errors.test.ts has the rest), with the
// retry hints and policy labels the gateway turns into headers (ORCH-2006/2007).
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@llama-orch/contracts/errors';
import { CoreError, ERROR_TABLE, Scheduler } from '../src/index.js';
import type { AdmitResult, CoreError as CoreErrorT, ErrorCode } from '../src/index.js';
import { baseConfig, manualClock, replica, scheduler, spec, MODEL } from './fixtures.js';

function rejected(r: AdmitResult): CoreErrorT {
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.taskId)}`);
  return r.error;
}

function ready(config = baseConfig()) {
  const h = scheduler(config);
  h.sched.upsertReplica(replica('r1', { slots_total: 2, slots_free: 2 }));
  return h;
}

describe('ORCH-2006: error table', () => {
  it('ORCH-2006: HTTP status and retriable class come from the contracts catalogue, not a copy', () => {
    // The table itself is checked against openapi/data.yaml in contracts (errors.test.ts).
    expect(ERROR_TABLE).toBe(ERROR_CODES);
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const e = new CoreError(code, 'm');
      expect(e.httpStatus).toBe(ERROR_CODES[code].httpStatus);
      expect(e.retriable).toBe(ERROR_CODES[code].retriable);
    }
    expect(ERROR_TABLE.INVALID_PARAMS.retriable).toBe(false);
    expect(ERROR_TABLE.ADMISSION_REJECT.retriable).toBe(true);
  });

  it('ORCH-2007: envelope carries retry_after_ms and policy_label only when meaningful', () => {
    const e = new CoreError('ADMISSION_REJECT', 'full', { retryAfterMs: 12.2, policyLabel: 'x' });
    expect(e.toEnvelope()).toEqual({
      code: 'ADMISSION_REJECT',
      message: 'full',
      retriable: true,
      retry_after_ms: 13,
      policy_label: 'x',
    });
    const n = new CoreError('INVALID_PARAMS', 'bad', { retryAfterMs: 5 });
    expect(n.toEnvelope().retry_after_ms).toBeUndefined();
    expect(n).toBeInstanceOf(Error);
  });
});

describe('ORCH-2001: admission errors', () => {
  it('ORCH-3024: duplicate task_id → INVALID_PARAMS, also after the first one ended', () => {
    const { sched } = ready();
    expect(sched.admit(spec('a'), 'acme').ok).toBe(true);
    expect(rejected(sched.admit(spec('a'), 'acme')).code).toBe('INVALID_PARAMS');
    sched.cancel('a');
    expect(rejected(sched.admit(spec('a'), 'acme')).code).toBe('INVALID_PARAMS');
  });

  it('ORCH-2001: malformed specs → INVALID_PARAMS', () => {
    const { sched } = ready();
    const bad = [
      spec('', {}),
      spec('b1', { ctx: 0 }),
      spec('b2', { max_tokens: 1.5 }),
      spec('b3', { deadline_ms: -1 }),
      spec('b4', { seed: -3 }),
      { ...spec('b5'), engine: 'gpt' as never },
      { ...spec('b6'), priority: 'urgent' as never },
    ];
    for (const s of bad) expect(rejected(sched.admit(s, 'acme')).code).toBe('INVALID_PARAMS');
    expect(rejected(sched.admit(spec('b7'), 'acme', { promptTokens: -1 })).code).toBe(
      'INVALID_PARAMS',
    );
  });

  it('ORCH-2008/ORCH-2013: a served model on another engine → INVALID_PARAMS; a model no pool serves → NOT_FOUND; both name the engine', () => {
    const { sched } = ready();
    const e = rejected(sched.admit(spec('m', { model_ref: 'nope' }), 'acme'));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.engine).toBe('llamacpp');
    expect(rejected(sched.admit(spec('v', { engine: 'vllm' }), 'acme')).code).toBe(
      'INVALID_PARAMS',
    );
  });

  it('ORCH-3014: ctx above ctx_max → INVALID_PARAMS before enqueue', () => {
    const { sched } = ready();
    expect(rejected(sched.admit(spec('c', { ctx: 8192 }), 'acme')).code).toBe('INVALID_PARAMS');
    expect(sched.snapshot().queueDepth.every((q) => q.depth === 0)).toBe(true);
  });

  it('ORCH-3015: prompt + max_tokens above ctx → INVALID_PARAMS (caller estimate or chars/4)', () => {
    const { sched } = ready();
    const e = rejected(
      sched.admit(spec('p', { ctx: 100, max_tokens: 90 }), 'acme', { promptTokens: 11 }),
    );
    expect(e.code).toBe('INVALID_PARAMS');
    // 40 chars → 10 tokens by the documented heuristic: 10 + 90 = 100 fits exactly.
    expect(
      sched.admit(spec('q', { ctx: 100, max_tokens: 90, prompt: 'x'.repeat(40) }), 'acme').ok,
    ).toBe(true);
    expect(
      rejected(sched.admit(spec('r', { ctx: 100, max_tokens: 90, prompt: 'x'.repeat(41) }), 'acme'))
        .code,
    ).toBe('INVALID_PARAMS');
  });

  it('ORCH-2013: pinned pool unknown → NOT_FOUND (404), never a fallback', () => {
    const { sched } = ready();
    const e = rejected(
      sched.admit(spec('x', { placement: { mode: 'pin', pin_pool_id: 'ghost' } }), 'acme'),
    );
    expect(e.code).toBe('NOT_FOUND');
    expect(e.policyLabel).toBe('placement.pin');
  });

  it('ORCH-2014: pinned pool unready → POOL_UNREADY with a retry hint, even when another pool is Ready', () => {
    const config = baseConfig({
      pools: [
        { id: 'pool-a', engine: 'llamacpp', modelRef: MODEL, ctxMax: 4096 },
        { id: 'pool-b', engine: 'llamacpp', modelRef: MODEL, ctxMax: 4096 },
      ],
    });
    const { sched } = scheduler(config);
    sched.upsertReplica(replica('ra', { pool_id: 'pool-a' }));
    sched.upsertReplica(replica('rb', { pool_id: 'pool-b', ready: false }));
    const e = rejected(
      sched.admit(spec('x', { placement: { mode: 'pin', pin_pool_id: 'pool-b' } }), 'acme'),
    );
    expect(e.code).toBe('POOL_UNREADY');
    expect(e.retriable).toBe(true);
    expect(e.retryAfterMs).toBeGreaterThan(0);
    const ok = sched.admit(
      spec('y', { placement: { mode: 'pin', pin_pool_id: 'pool-a' } }),
      'acme',
    );
    expect(ok.ok && ok.poolId).toBe('pool-a');
  });

  it('ORCH-3018: no replica registered → POOL_UNAVAILABLE; registered but unready → POOL_UNREADY', () => {
    const { sched } = scheduler();
    const e = rejected(sched.admit(spec('x'), 'acme'));
    expect(e.code).toBe('POOL_UNAVAILABLE');
    expect(e.retryAfterMs).toBeGreaterThan(0);
    sched.upsertReplica(replica('r1', { ready: false }));
    expect(rejected(sched.admit(spec('y'), 'acme')).code).toBe('POOL_UNREADY');
  });

  it('ORCH-3058: a sampler profile the serving set does not run → INVALID_PARAMS', () => {
    const { sched } = ready();
    expect(rejected(sched.admit(spec('x', { sampler_profile_version: 'v9' }), 'acme')).code).toBe(
      'INVALID_PARAMS',
    );
  });

  it('ORCH-3005: interactive queue full → ADMISSION_REJECT queue.reject with retry hints', () => {
    const { sched } = ready(baseConfig({ queues: { interactive: { capacity: 1 } } }));
    expect(sched.admit(spec('a'), 'acme').ok).toBe(true);
    const e = rejected(sched.admit(spec('b'), 'acme'));
    expect([e.code, e.policyLabel, e.retriable]).toEqual([
      'ADMISSION_REJECT',
      'queue.reject',
      true,
    ]);
    expect(e.retryAfterMs).toBeGreaterThan(0);
  });

  it('ORCH-3005: batch queue full → the oldest batch task ends with QUEUE_FULL_DROP_LRU', () => {
    const { sched } = ready(baseConfig({ queues: { batch: { capacity: 1 } } }));
    expect(sched.admit(spec('a', { priority: 'batch' }), 'acme').ok).toBe(true);
    const r = sched.admit(spec('b', { priority: 'batch' }), 'acme');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.dropped.map((d) => [d.taskId, d.error?.code])).toEqual([['a', 'QUEUE_FULL_DROP_LRU']]);
    expect(sched.task('a')?.state).toBe('failed');
    // The dropped client learns it on attach (ORCH-4005 terminal ImmediateResponse).
    const att = sched.attach('a');
    expect(att.ok && att.terminal?.error?.code).toBe('QUEUE_FULL_DROP_LRU');
  });

  it('ORCH-3036: concurrent quota → ADMISSION_REJECT quota:concurrent; freed when a task ends', () => {
    const { sched } = ready(baseConfig({ tenants: { acme: { quotas: { maxConcurrent: 1 } } } }));
    expect(sched.admit(spec('a'), 'acme').ok).toBe(true);
    const e = rejected(sched.admit(spec('b'), 'acme'));
    expect([e.code, e.policyLabel]).toEqual(['ADMISSION_REJECT', 'quota:concurrent']);
    expect(sched.admit(spec('c'), 'other').ok).toBe(true);
    sched.cancel('a');
    expect(sched.admit(spec('d'), 'acme').ok).toBe(true);
  });

  it('ORCH-3036: tokens/minute quota → retry after the window frees enough; never-fits is not retriable', () => {
    const clock = manualClock();
    const { sched } = scheduler(
      baseConfig({ tenants: { acme: { quotas: { tokensPerMinute: 100 } } } }),
      clock,
    );
    sched.upsertReplica(replica('r1'));
    // 2 prompt tokens ("hello") + 48 = 50 per task.
    expect(sched.admit(spec('a', { max_tokens: 48 }), 'acme').ok).toBe(true);
    clock.advance(10_000);
    expect(sched.admit(spec('b', { max_tokens: 48 }), 'acme').ok).toBe(true);
    const e = rejected(sched.admit(spec('c', { max_tokens: 48 }), 'acme'));
    expect([e.code, e.policyLabel, e.retriable]).toEqual([
      'ADMISSION_REJECT',
      'quota:tokens_per_min',
      true,
    ]);
    expect(e.retryAfterMs).toBe(50_000);
    const never = rejected(sched.admit(spec('d', { max_tokens: 200 }), 'acme'));
    expect(never.retriable).toBe(false);
    clock.advance(50_000);
    expect(sched.admit(spec('e', { max_tokens: 48 }), 'acme').ok).toBe(true);
  });

  it('ORCH-3006: per-tenant rate limit → ADMISSION_REJECT rate_limit with the refill time', () => {
    const clock = manualClock();
    const { sched } = scheduler(
      baseConfig({ tenants: { acme: { quotas: { ratePerSecond: 2, burst: 2 } } } }),
      clock,
    );
    sched.upsertReplica(replica('r1'));
    expect(sched.admit(spec('a'), 'acme').ok).toBe(true);
    expect(sched.admit(spec('b'), 'acme').ok).toBe(true);
    const e = rejected(sched.admit(spec('c'), 'acme'));
    expect([e.code, e.policyLabel, e.retryAfterMs]).toEqual([
      'ADMISSION_REJECT',
      'rate_limit',
      500,
    ]);
    expect(sched.admit(spec('c2'), 'other').ok).toBe(true);
    clock.advance(500);
    expect(sched.admit(spec('d'), 'acme').ok).toBe(true);
    expect(sched.admit(spec('e'), 'acme').ok).toBe(false);
  });

  it('ORCH-3036: KV-MB quota → ADMISSION_REJECT quota:kv_mb', () => {
    const { sched } = ready(
      baseConfig({
        pools: [
          { id: 'pool-a', engine: 'llamacpp', modelRef: MODEL, ctxMax: 4096, kvMbPerToken: 1 },
        ],
        tenants: { acme: { quotas: { kvMb: 30 } } },
      }),
    );
    expect(sched.admit(spec('a', { max_tokens: 18 }), 'acme').ok).toBe(true);
    expect(rejected(sched.admit(spec('b', { max_tokens: 18 }), 'acme')).policyLabel).toBe(
      'quota:kv_mb',
    );
  });

  it('ORCH-3099: session token budget → ADMISSION_REJECT session_budget (not retriable)', () => {
    const { sched } = ready(baseConfig({ sessions: { budgetTokens: 30 } }));
    const a = sched.admit(spec('a', { session_id: 's', max_tokens: 10 }), 'acme');
    expect(a.ok).toBe(true);
    sched.attach('a');
    const d = sched.dispatch().dispatches[0];
    sched.leaseFinished(d?.leaseId ?? '', { reason: 'stop', tokensIn: 2, tokensOut: 10 });
    const e = rejected(sched.admit(spec('b', { session_id: 's', max_tokens: 20 }), 'acme'));
    expect([e.code, e.policyLabel, e.retriable]).toEqual([
      'ADMISSION_REJECT',
      'session_budget',
      false,
    ]);
  });

  it('ORCH-3079: infeasible deadline_ms → DEADLINE_UNMET at admission', () => {
    const { sched } = ready(baseConfig({ serviceTime: { firstTokenMs: 100, msPerToken: 10 } }));
    // 100 + 16·10 = 260 ms of service > 200 ms.
    const e = rejected(sched.admit(spec('a', { deadline_ms: 200 }), 'acme'));
    expect([e.code, e.retriable]).toEqual(['DEADLINE_UNMET', false]);
    expect(sched.admit(spec('b', { deadline_ms: 300 }), 'acme').ok).toBe(true);
  });

  it('ORCH-3030: impossible config → CoreError INVALID_PARAMS from the constructor', () => {
    const make = (config: ReturnType<typeof baseConfig>) => () =>
      new Scheduler({ config, clock: () => 0 });
    const dup = baseConfig();
    dup.pools.push({ ...(dup.pools[0] as (typeof dup.pools)[number]) });
    expect(make(dup)).toThrow(CoreError);
    expect(make(baseConfig({ priorityWeights: { batch: 0 } }))).toThrow(/batch weight/);
    expect(make(baseConfig({ queues: { batch: { capacity: -1 } } }))).toThrow(/capacity/);
  });
});

describe('ORCH-3014: pool choice by ctx', () => {
  it('ORCH-3014: an unpinned task goes to a matching pool whose ctx_max fits, else INVALID_PARAMS', () => {
    const { sched } = scheduler(
      baseConfig({
        pools: [
          { id: 'small', engine: 'llamacpp', modelRef: MODEL, ctxMax: 1024 },
          { id: 'large', engine: 'llamacpp', modelRef: MODEL, ctxMax: 8192 },
        ],
      }),
    );
    sched.upsertReplica(replica('rs', { pool_id: 'small', ctx_max: 1024 }));
    sched.upsertReplica(replica('rl', { pool_id: 'large', ctx_max: 8192 }));
    const r = sched.admit(spec('a', { ctx: 4096 }), 'acme');
    expect(r.ok && r.poolId).toBe('large');
    expect(rejected(sched.admit(spec('b', { ctx: 16384 }), 'acme')).code).toBe('INVALID_PARAMS');
  });
});
