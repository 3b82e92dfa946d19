// One test per typed error core produces, with the retry hints and policy labels the gateway
// turns into headers (ORCH-2006/2007).
import { describe, expect, it } from 'vitest';
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
  it('ORCH-2006: HTTP status and retriable class per contract code', () => {
    const expected: Record<ErrorCode, number> = {
      ADMISSION_REJECT: 429,
      QUEUE_FULL_DROP_LRU: 429,
      INVALID_PARAMS: 400,
      DEADLINE_UNMET: 400,
      NOT_FOUND: 404,
      UNAUTHORIZED: 401,
      FORBIDDEN: 403,
      LEASE_INVALID: 403,
      POOL_UNREADY: 503,
      POOL_UNAVAILABLE: 503,
      REPLICA_EXHAUSTED: 503,
      MODEL_DEPRECATED: 400,
      UNTRUSTED_ARTIFACT: 400,
      DECODE_TIMEOUT: 500,
      WORKER_RESET: 500,
      INTERNAL: 500,
    };
    for (const [code, status] of Object.entries(expected)) {
      expect(ERROR_TABLE[code as ErrorCode].httpStatus).toBe(status);
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

  it('ORCH-2008: unknown model_ref or engine with no pool → INVALID_PARAMS naming the engine', () => {
    const { sched } = ready();
    const e = rejected(sched.admit(spec('m', { model_ref: 'nope' }), 'acme'));
    expect(e.code).toBe('INVALID_PARAMS');
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

  it('ORCH-2013: pinned pool unknown → INVALID_PARAMS, never a fallback', () => {
    const { sched } = ready();
    const e = rejected(
      sched.admit(spec('x', { placement: { mode: 'pin', pin_pool_id: 'ghost' } }), 'acme'),
    );
    expect(e.code).toBe('INVALID_PARAMS');
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

  it('ORCH-3036: concurrent quota → ADMISSION_REJECT quota.concurrent; freed when a task ends', () => {
    const { sched } = ready(baseConfig({ tenants: { acme: { quotas: { maxConcurrent: 1 } } } }));
    expect(sched.admit(spec('a'), 'acme').ok).toBe(true);
    const e = rejected(sched.admit(spec('b'), 'acme'));
    expect([e.code, e.policyLabel]).toEqual(['ADMISSION_REJECT', 'quota.concurrent']);
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
      'quota.tokens_per_minute',
      true,
    ]);
    expect(e.retryAfterMs).toBe(50_000);
    const never = rejected(sched.admit(spec('d', { max_tokens: 200 }), 'acme'));
    expect(never.retriable).toBe(false);
    clock.advance(50_000);
    expect(sched.admit(spec('e', { max_tokens: 48 }), 'acme').ok).toBe(true);
  });

  it('ORCH-3006: per-tenant rate limit → ADMISSION_REJECT quota.rate with the refill time', () => {
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
      'quota.rate',
      500,
    ]);
    expect(sched.admit(spec('c2'), 'other').ok).toBe(true);
    clock.advance(500);
    expect(sched.admit(spec('d'), 'acme').ok).toBe(true);
    expect(sched.admit(spec('e'), 'acme').ok).toBe(false);
  });

  it('ORCH-3036: KV-MB quota → ADMISSION_REJECT quota.kv_mb', () => {
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
      'quota.kv_mb',
    );
  });

  it('ORCH-3099: session token budget → ADMISSION_REJECT session.budget.tokens (not retriable)', () => {
    const { sched } = ready(baseConfig({ sessions: { budgetTokens: 30 } }));
    const a = sched.admit(spec('a', { session_id: 's', max_tokens: 10 }), 'acme');
    expect(a.ok).toBe(true);
    sched.attach('a');
    const d = sched.dispatch().dispatches[0];
    sched.leaseFinished(d?.leaseId ?? '', { reason: 'stop', tokensIn: 2, tokensOut: 10 });
    const e = rejected(sched.admit(spec('b', { session_id: 's', max_tokens: 20 }), 'acme'));
    expect([e.code, e.policyLabel, e.retriable]).toEqual([
      'ADMISSION_REJECT',
      'session.budget.tokens',
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

describe('ORCH-4005/ORCH-3016: errors after admission', () => {
  it('ORCH-4005: attach or cancel of an unknown task → NOT_FOUND', () => {
    const { sched } = ready();
    const a = sched.attach('ghost');
    expect(!a.ok && a.error.code).toBe('NOT_FOUND');
    const c = sched.cancel('ghost');
    expect(c.kind === 'not_found' && c.error.httpStatus).toBe(404);
  });

  it('ORCH-4012: lease events for unknown leases → LEASE_INVALID', () => {
    const { sched } = ready();
    for (const r of [
      sched.leaseStarted('nope'),
      sched.leaseFinished('nope', { reason: 'stop' }),
      sched.leaseFailed('nope', 'WORKER_RESET'),
    ]) {
      expect(!r.ok && r.error.code).toBe('LEASE_INVALID');
    }
  });

  it('ORCH-3016: queue wait timeout → REPLICA_EXHAUSTED queue.wait_timeout from tick()', () => {
    const clock = manualClock();
    const { sched } = scheduler(
      baseConfig({ queues: { interactive: { maxWaitMs: 1000 } } }),
      clock,
    );
    sched.upsertReplica(replica('r1', { ready: true }));
    sched.admit(spec('a'), 'acme');
    clock.advance(999);
    expect(sched.tick().terminal).toEqual([]);
    clock.advance(1);
    const [ev] = sched.tick().terminal;
    expect([ev?.taskId, ev?.error?.code, ev?.error?.policyLabel]).toEqual([
      'a',
      'REPLICA_EXHAUSTED',
      'queue.wait_timeout',
    ]);
    expect(ev?.wasDispatched).toBe(false);
  });

  it('ORCH-3079: a queued task that can no longer meet its deadline → DEADLINE_UNMET (tick and dispatch)', () => {
    const clock = manualClock();
    const { sched } = scheduler(
      baseConfig({ serviceTime: { firstTokenMs: 10, msPerToken: 1 } }),
      clock,
    );
    sched.upsertReplica(replica('r1', { ready: true, slots_total: 1, slots_free: 1 }));
    sched.admit(spec('busy'), 'acme');
    sched.attach('busy');
    expect(sched.dispatch().dispatches).toHaveLength(1);
    // Waves of the 10 + 128·1 ms prior: a starts in ~138 ms, b in ~276 ms; + 26 ms service ≤ 400.
    expect(sched.admit(spec('a', { deadline_ms: 400 }), 'acme').ok).toBe(true);
    expect(sched.admit(spec('b', { deadline_ms: 400 }), 'acme').ok).toBe(true);
    sched.attach('b');
    clock.advance(380); // latest start = 400 - (10 + 16) = 374 ms
    const t = sched.tick().terminal.map((e) => [e.taskId, e.error?.code]);
    expect(t).toEqual([
      ['a', 'DEADLINE_UNMET'],
      ['b', 'DEADLINE_UNMET'],
    ]);
    expect(
      sched.snapshot().deadlinesMetRatio.find((d) => d.priority === 'interactive'),
    ).toMatchObject({
      met: 0,
      total: 2,
      ratio: 0,
    });
    // The dispatch path applies the same rule when it meets such a task before tick() does.
    expect(sched.admit(spec('c', { deadline_ms: 400 }), 'acme').ok).toBe(true);
    sched.attach('c');
    clock.advance(380);
    const l = sched.task('busy')?.leaseId ?? '';
    sched.leaseFinished(l, { reason: 'stop' });
    const b = sched.dispatch();
    expect(b.dispatches).toEqual([]);
    expect(b.terminal.map((e) => [e.taskId, e.error?.code])).toEqual([['c', 'DEADLINE_UNMET']]);
  });

  it('ORCH-3038: replica loss → started leases end WORKER_RESET, unstarted ones requeue', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1', { slots_total: 2, slots_free: 2 }));
    for (const id of ['a', 'b']) {
      sched.admit(spec(id), 'acme');
      sched.attach(id);
    }
    const ds = sched.dispatch().dispatches;
    sched.leaseStarted(ds[0]?.leaseId ?? '');
    const r = sched.removeReplica('r1');
    expect(r.requeued).toEqual(['b']);
    expect(r.terminal.map((e) => [e.taskId, e.error?.code, e.error?.retriable])).toEqual([
      ['a', 'WORKER_RESET', true],
    ]);
    expect(sched.task('b')?.state).toBe('queued');
  });

  it('ORCH-3025: lease failures retry only retriable classes, at most maxAttempts times', () => {
    const { sched } = ready(baseConfig({ maxAttempts: 2 }));
    sched.admit(spec('a'), 'acme');
    sched.attach('a');
    const l1 = sched.dispatch().dispatches[0]?.leaseId ?? '';
    expect(sched.leaseFailed(l1, 'WORKER_RESET')).toEqual({ ok: true, requeued: true });
    const d2 = sched.dispatch().dispatches[0];
    expect(d2?.attempt).toBe(2);
    const r = sched.leaseFailed(d2?.leaseId ?? '', 'WORKER_RESET');
    expect(r.ok && r.terminal?.error?.code).toBe('WORKER_RESET');
    sched.admit(spec('b'), 'acme');
    sched.attach('b');
    const lb = sched.dispatch().dispatches[0]?.leaseId ?? '';
    const rb = sched.leaseFailed(lb, 'INVALID_PARAMS');
    expect(rb.ok && rb.terminal?.state).toBe('failed');
  });

  it('ORCH-2028: an engine error reported by the sidecar keeps its code; unknown codes become INTERNAL', () => {
    const { sched } = ready();
    for (const [id, code, want] of [
      ['a', 'DECODE_TIMEOUT', 'DECODE_TIMEOUT'],
      ['b', 'SOMETHING_ELSE', 'INTERNAL'],
    ] as const) {
      sched.admit(spec(id), 'acme');
      sched.attach(id);
      const l = sched.dispatch().dispatches[0]?.leaseId ?? '';
      const r = sched.leaseFinished(l, { reason: 'error', errorCode: code });
      expect(r.ok && r.terminal?.error?.code).toBe(want);
    }
  });
});
