// ORCH-2001 admission, in order: duplicate id (3024), shape, pool (2013/2014/3018), ctx and token
// budget (3014/3015), sampler profile, session budget (3099), tenant rate limit and quotas
// (3006/3036), deadline feasibility (3079), then the bounded queue (3004/3005). Nothing is
// mutated until every check passed, so a rejected task leaves no trace.
import { tenantConfig } from '../config.js';
import { CoreError } from '../errors.js';
import type { TaskRec } from '../model.js';
import { decideFull } from '../queue/full-policy.js';
import { resolveSeed } from '../seed.js';
import type { CoreState } from '../state.js';
import { ENGINES } from '../engine.js';
import { PRIORITIES } from '../types.js';
import type {
  AdmitHints,
  AdmitResult,
  Determinism,
  TaskSpecInput,
  TerminalEvent,
  Workload,
} from '../types.js';
import { estimatePromptTokens } from './estimate.js';
import { resolvePool } from './pool-resolution.js';
import { checkReplicaPin } from './replica-pin.js';
import { predictServiceMs, predictStartMs } from './service-time.js';
import { admittedSpec } from './task-spec.js';
import { validateSpec } from './validate.js';

const WORKLOADS: readonly Workload[] = ['completion', 'embedding', 'rerank'];
const DETERMINISMS: readonly Determinism[] = ['strict', 'best_effort'];

/**
 * Issue 19: the one shared copy of a value every task repeats. A parsed request body brings a
 * fresh string for each field, kept for as long as the task is queued (100,000 queued tasks held
 * 100,000 copies of the same model_ref and determinism); the copy from `known` (constants and
 * the pool's config) is the same value.
 */
function shared<T extends string>(value: T, known: readonly T[]): T {
  for (const k of known) if (k === value) return k;
  return value;
}

export function admit(
  s: CoreState,
  spec: TaskSpecInput,
  tenant: string,
  hints: AdmitHints = {},
): AdmitResult {
  const fail = (error: CoreError): AdmitResult => ({ ok: false, error });
  const now = s.now();
  if (s.tasks.has(spec.task_id)) {
    return fail(new CoreError('INVALID_PARAMS', `duplicate task_id ${spec.task_id}`));
  }
  const promptTokens = hints.promptTokens ?? estimatePromptTokens(spec.prompt);
  const invalid = validateSpec(spec, promptTokens);
  if (invalid) return fail(invalid);
  const engine = spec.engine;

  const restored = hints.restored === true;
  const pool = resolvePool(s, spec, restored);
  if (pool instanceof CoreError) return fail(pool);
  const pin = checkReplicaPin(s, pool, spec);
  if (pin instanceof CoreError) return fail(pin);
  const pc = pool.config;
  if (spec.ctx > pc.ctxMax) {
    return fail(
      new CoreError('INVALID_PARAMS', `ctx ${spec.ctx} exceeds ctx_max ${pc.ctxMax}`, { engine }),
    );
  }
  const estTokens = promptTokens + spec.max_tokens;
  if (estTokens > spec.ctx) {
    return fail(
      new CoreError(
        'INVALID_PARAMS',
        `prompt (${promptTokens}) + max_tokens (${spec.max_tokens}) exceeds ctx ${spec.ctx}`,
        { engine },
      ),
    );
  }
  const serving = pool.serving;
  const sampler = shared(spec.sampler_profile_version ?? 'v1', [
    serving?.samplerProfileVersion ?? 'v1',
  ]);
  if (serving && serving.samplerProfileVersion !== sampler) {
    return fail(
      new CoreError(
        'INVALID_PARAMS',
        `sampler_profile_version ${sampler} not served by pool ${pc.id} (${serving.samplerProfileVersion})`,
        { engine },
      ),
    );
  }

  const sessionId = spec.session_id ?? '';
  // ORCH-3035: the tenant's own session of that id; another tenant's same id is a different one.
  const session = sessionId ? s.sessions.peekForTurn(tenant, sessionId, now) : undefined;
  if (session) {
    const over = s.sessions.budgetExceeded(session, estTokens);
    if (over) {
      return fail(
        new CoreError('ADMISSION_REJECT', `session ${sessionId} ${over} budget exhausted`, {
          engine,
          retriable: false,
          policyLabel: 'session_budget',
        }),
      );
    }
  }

  const kvMb = estTokens * pc.kvMbPerToken;
  const tenantCfg = tenantConfig(s.config, tenant);
  // A restored task was inside its quotas when first admitted; its charge is taken again below.
  const quotaError = restored
    ? undefined
    : s.quotas.check(tenant, tenantCfg, estTokens, kvMb, now, pool.meanServiceMs);
  if (quotaError) return fail(quotaError);

  const lanes = pool.lanes;
  const lane = lanes[spec.priority];
  const qc = pc.queues[spec.priority];
  const full = decideFull(lane.arrivals.size, qc.capacity, qc.fullPolicy);
  if (full === 'reject') {
    return fail(
      new CoreError('ADMISSION_REJECT', `${spec.priority} queue of pool ${pc.id} is full`, {
        engine,
        retryAfterMs: pool.meanServiceMs,
        policyLabel: 'queue.reject',
      }),
    );
  }
  // Interactive goes first under the 8:1 weights, so a batch task waits behind both queues.
  const dropAdjust = full === 'drop-oldest' ? 1 : 0;
  const ahead =
    lane.arrivals.size -
    dropAdjust +
    (spec.priority === 'batch' ? lanes.interactive.arrivals.size : 0);
  // Whole ms, as every reader reports it; issue 19: a fractional one would be a boxed number on
  // every queued task's record.
  const predictedStartMs = Math.max(
    0,
    Math.round(predictStartMs(pool, ahead, serving?.freeSlots ?? 0, serving?.readySlots ?? 0)),
  );
  const deadlineMs = spec.deadline_ms ?? 0;
  const serviceMs = predictServiceMs(pool, spec.max_tokens);
  // A restored task keeps the deadline it had left; tick() expires it if that passes.
  if (!restored && deadlineMs > 0 && predictedStartMs + serviceMs > deadlineMs) {
    return fail(
      new CoreError(
        'DEADLINE_UNMET',
        `deadline_ms ${deadlineMs} infeasible: predicted start ${predictedStartMs} ms + service ${Math.ceil(serviceMs)} ms`,
        { engine, policyLabel: 'deadline.infeasible' },
      ),
    );
  }

  // Every check passed: commit.
  const dropped: TerminalEvent[] = [];
  if (full === 'drop-oldest' && lane.arrivals.head) {
    const victim = lane.arrivals.head;
    const ev = s.finish(
      victim,
      'drop',
      'error',
      new CoreError('QUEUE_FULL_DROP_LRU', `dropped from the full ${spec.priority} queue`, {
        engine: victim.spec.engine,
        retryAfterMs: pool.meanServiceMs,
        policyLabel: 'queue.drop-lru',
      }),
    );
    if (ev) dropped.push(ev);
  }
  const seed = resolveSeed(spec.task_id, spec.seed);
  const priority = shared(spec.priority, PRIORITIES);
  const task = admittedSpec(
    {
      task_id: spec.task_id,
      session_id: sessionId,
      ctx: spec.ctx,
      max_tokens: spec.max_tokens,
      deadline_ms: deadlineMs,
      seed,
      prompt: spec.prompt ?? '',
      correlation_id: spec.correlation_id ?? '',
    },
    s.specShapes.intern({
      tenant,
      workload: shared(spec.workload ?? 'completion', WORKLOADS),
      model_ref: shared(spec.model_ref, [pc.modelRef]),
      engine: shared(engine, ENGINES),
      priority,
      determinism: shared(spec.determinism ?? 'strict', DETERMINISMS),
      sampler_profile_version: sampler,
      prompt_format: hints.promptFormat ?? pc.promptFormat,
      heldText: hints.heldText,
    }),
  );
  const rec: TaskRec = {
    spec: task,
    poolId: pc.id,
    seq: s.seq++,
    admittedAt: now,
    deadline:
      deadlineMs > 0
        ? { abs: now + deadlineMs, latestStart: now + deadlineMs - serviceMs, pos: -1 }
        : undefined,
    estTokens,
    queuePosition: ahead,
    predictedStartMs,
    state: 'queued',
    attached: false,
    rare: undefined,
    attempts: 0,
    lease: undefined,
    flowPos: -1,
    prev: null,
    next: null,
    waitPrev: null,
    waitNext: null,
    terminal: undefined,
    tag: -1,
  };
  const charge = s.quotas.admit(tenant, tenantCfg, estTokens, kvMb, now);
  if (charge !== undefined || pin.replicaId !== undefined) {
    rec.rare = { pinReplicaId: pin.replicaId, charge, attachBy: undefined };
  }
  if (session) s.sessions.touch(tenant, sessionId, session, now);
  s.tasks.set(rec.spec.task_id, rec);
  s.live++;
  s.enqueue(rec);
  s.unattached.push(rec);
  const occupancy = lane.arrivals.size / Math.max(1, qc.capacity);
  return {
    ok: true,
    taskId: rec.spec.task_id,
    queuePosition: ahead,
    predictedStartMs,
    backoffMs: occupancy >= 0.75 ? Math.ceil(pool.meanServiceMs) : 0,
    seed,
    poolId: pc.id,
    task,
    dropped,
  };
}
