// What the REST routes call: admission, cancel, sessions, capabilities. Route handlers stay thin;
// every decision is core's (ORCH-2001/2003/2004/2005/3095).
import { openApiVersion } from '@llama-orch/contracts';
import type {
  AdmissionResponse,
  Capabilities,
  OpenAiModelList,
  SessionInfo,
  TaskRequest,
} from '@llama-orch/contracts';
import { CoreError, ENGINES } from '@llama-orch/core';
import type {
  AdmitHints,
  AdmitResult,
  Engine,
  Scheduler,
  SessionInfo as CoreSessionInfo,
  TaskSpecInput,
} from '@llama-orch/core';
import type { AdmissionJournal, JournaledAdmission } from '../journal/journal.js';
import type { Logger } from 'pino';
import type { ApiLabel, DecisionOutcome, GatewayMetrics } from '../metrics/metrics.js';
import { mirrorSnapshot } from '../metrics/mirror.js';
import type { ReplicaRegistry } from '../replicas/registry.js';
import type { Director } from '../dispatch/director.js';
import { modelList } from '../openai/models.js';

interface TaskServiceOptions {
  readonly core: Scheduler;
  readonly director: Director;
  readonly registry: ReplicaRegistry;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  /** ORCH-4030: admissions are recorded here before their 202 (absent: no journal). */
  readonly journal?: Pick<AdmissionJournal, 'admitIf' | 'heldText'>;
}

/**
 * ORCH-3035: whose sessions a caller sees. Sessions are keyed by (tenant, session_id); a caller
 * sees its own tenant's, and one that may act on any tenant's tasks (an operator) sees any.
 */
export interface SessionScope {
  readonly tenant: string;
  readonly anyTenant: boolean;
}

export class TaskService {
  /** `created` of every /v1/models entry: when this placement started. */
  private readonly bootSec = Math.floor(Date.now() / 1000);

  constructor(private readonly o: TaskServiceOptions) {}

  /**
   * ORCH-2001/3014/3015: validate-before-enqueue is core's admission; 202 on success. With a
   * journal (ORCH-4030) it resolves only once the task's record is committed.
   */
  async submit(
    body: TaskRequest,
    tenant: string,
    correlationId: string,
  ): Promise<AdmissionResponse> {
    const spec: TaskSpecInput = {
      task_id: body.task_id,
      session_id: body.session_id,
      workload: body.workload,
      model_ref: body.model_ref,
      engine: body.engine,
      ctx: body.ctx,
      priority: body.priority,
      max_tokens: body.max_tokens,
      deadline_ms: body.deadline_ms,
      prompt: body.prompt,
      correlation_id: correlationId,
      ...(body.seed !== undefined ? { seed: body.seed } : {}),
      ...(body.determinism !== undefined ? { determinism: body.determinism } : {}),
      ...(body.sampler_profile_version !== undefined
        ? { sampler_profile_version: body.sampler_profile_version }
        : {}),
      ...placementInput(body.placement),
    };
    const { response, committed } = this.admitRecorded(
      spec,
      tenant,
      body.placement?.mode === 'pin',
      'orchqueue',
      false,
      true,
    );
    if (committed) await this.awaitCommit(spec.task_id, committed);
    return response;
  }

  /**
   * Admission of an already-built spec: the one path for OrchQueue tasks, OpenAI requests
   * (ORCH-3103) and replayed tasks, so all get the same checks, quotas, metrics and logs. It writes
   * no journal record: OrchQueue tasks come through `submit`, which does and awaits it.
   */
  admit(
    spec: TaskSpecInput,
    tenant: string,
    pinned = false,
    api: ApiLabel = 'orchqueue',
    restored = false,
  ): AdmissionResponse {
    return this.admitRecorded(spec, tenant, pinned, api, restored, false).response;
  }

  /** `record`: journal the admission (ORCH-4030); only `submit` does, and awaits the commit. */
  private admitRecorded(
    spec: TaskSpecInput,
    tenant: string,
    pinned: boolean,
    api: ApiLabel,
    restored: boolean,
    record: boolean,
  ): { response: AdmissionResponse; committed?: Promise<void> } {
    const body = spec;
    const correlationId = spec.correlation_id;
    const { value: result, committed } = this.journaledAdmit(
      spec,
      tenant,
      pinned,
      api,
      restored,
      record,
    );
    if (!result.ok) {
      this.rejected(body.engine, result.error, pinned, api);
      throw result.error;
    }
    this.o.director.rememberTask(result.task, pinned, api, this.journaled(record, restored));
    this.o.metrics.tasksEnqueued.inc({
      engine: body.engine,
      engine_version: this.o.director.engineVersionOf(result.poolId),
      pool_id: result.poolId,
      priority: body.priority,
      api,
    });
    if (result.dropped.length > 0) {
      this.o.metrics.backpressure.inc(
        { engine: body.engine, policy: 'drop-lru' },
        result.dropped.length,
      );
      this.o.director.deliver(result.dropped, 'drop_lru');
    }
    this.o.log.info(
      {
        task_id: result.taskId,
        session_id: body.session_id,
        tenant,
        engine: body.engine,
        pool_id: result.poolId,
        priority: body.priority,
        queue_position: result.queuePosition,
        correlation_id: correlationId,
        api,
      },
      'task admitted',
    );
    this.o.director.kick();
    const response: AdmissionResponse = {
      task_id: result.taskId,
      queue_position: result.queuePosition,
      predicted_start_ms: Math.max(0, Math.round(result.predictedStartMs)),
      backoff_ms: Math.max(0, Math.round(result.backoffMs)),
    };
    return committed ? { response, committed } : { response };
  }

  /**
   * ORCH-4030: core's admission inside the journal's transaction, so a 202 is only ever answered
   * for a recorded task (the caller awaits `committed`). Not recorded: a replayed task (its record
   * is in the file) and an OpenAI request, which is admitted and held in one call: its client
   * cannot come back for it after a restart, so there is nothing to replay (ORCH-3103).
   */
  private journaledAdmit(
    spec: TaskSpecInput,
    tenant: string,
    pinned: boolean,
    api: ApiLabel,
    restored: boolean,
    record: boolean,
  ): JournaledAdmission<AdmitResult> {
    // An OpenAI request's sidecar decodes the request's own prompt or messages; the spec's prompt
    // is only the size estimate, so the sidecar must not render it ahead (issue 19).
    const journal = this.o.journal;
    const hints: AdmitHints = {
      ...(restored ? { restored: true } : {}),
      ...(api === 'openai' ? { promptFormat: 'raw' as const } : {}),
      // Issue 19: a journaled task's prompt and correlation id stay in its journal record (a
      // replayed task's is in the file already); core reads them back at dispatch.
      ...(journal && this.journaled(record, restored) ? { heldText: journal.heldText } : {}),
    };
    const admit = (): AdmitResult =>
      this.o.core.admit(spec, tenant, Object.keys(hints).length > 0 ? hints : undefined);
    if (!journal || !record) return { value: admit() };
    try {
      return journal.admitIf({ spec, tenant, pinned, api }, admit, (r) => r.ok);
    } catch (error) {
      // The insert failed (disk full, I/O error) before core admitted the task.
      throw this.journalUnavailable(spec.task_id, error);
    }
  }

  /** The task's admission is in the journal: written now (`record`), or replayed from it. */
  private journaled(record: boolean, restored: boolean): boolean {
    return this.o.journal !== undefined && (record || restored);
  }

  /**
   * The 202 waits for the group commit that carries the task's record. When that commit failed,
   * the task is taken back and the client gets a retriable 503 instead of an unrecorded 202.
   */
  private async awaitCommit(taskId: string, committed: Promise<void>): Promise<void> {
    try {
      await committed;
    } catch (error) {
      if (this.o.core.task(taskId)?.state === 'queued')
        this.o.director.cancelTask(taskId, 'client');
      throw this.journalUnavailable(taskId, error);
    }
  }

  private journalUnavailable(taskId: string, error: unknown): CoreError {
    this.o.log.error(
      { err: error, task_id: taskId },
      'admission journal write failed; task refused',
    );
    return new CoreError('POOL_UNAVAILABLE', 'admission journal unavailable; retry', {
      retryAfterMs: 1000,
      policyLabel: 'journal.unavailable',
    });
  }

  /** ORCH-2003: idempotent; unknown ids are 404. */
  cancel(taskId: string): void {
    const outcome = this.o.director.cancelTask(taskId, 'client');
    if (outcome.kind === 'not_found') throw outcome.error;
  }

  /**
   * ORCH-2004/3035: the session this caller may see under `sessionId`, else 404. Another tenant's
   * session answers exactly as an unknown one, so a key cannot probe which ids exist.
   */
  session(sessionId: string, scope: SessionScope): SessionInfo {
    const s = this.visibleSession(sessionId, scope);
    if (!s) throw new CoreError('NOT_FOUND', `no session ${sessionId}`);
    return {
      session_id: s.sessionId,
      ttl_ms_remaining: Math.max(0, Math.round(s.ttlMsRemaining)),
      turns: s.turns,
      kv_bytes: s.kvBytes,
      kv_warmth: s.kvWarmth,
    };
  }

  /**
   * ORCH-2005/3035: end the session this caller may see under `sessionId`. Idempotent: an unknown
   * id, or one only another tenant holds, is a no-op (204 either way, so nothing is revealed).
   */
  deleteSession(sessionId: string, scope: SessionScope): void {
    const s = this.visibleSession(sessionId, scope);
    if (s) this.o.core.deleteSession(s.tenant, sessionId);
  }

  /** The caller's own session first; with `anyTenant`, else the most recently active owner's. */
  private visibleSession(sessionId: string, scope: SessionScope): CoreSessionInfo | undefined {
    const own = this.o.core.session(scope.tenant, sessionId);
    if (own || !scope.anyTenant) return own;
    const owner = this.o.core.sessionOwners(sessionId)[0];
    return owner === undefined ? undefined : this.o.core.session(owner, sessionId);
  }

  /** ORCH-3103: GET /v1/models, the models the Ready fleet serves. */
  models(): OpenAiModelList {
    return modelList(this.o.registry.list(), (r) => this.o.registry.isReady(r), this.bootSec);
  }

  /** ORCH-3095: derived from live registrations; api_version is the OpenAPI info.version. */
  capabilities(): Capabilities {
    const snapshot = this.o.core.snapshot();
    const capacity = (priority: 'interactive' | 'batch'): number =>
      snapshot.queueDepth
        .filter((q) => q.priority === priority)
        .reduce((n, q) => n + q.capacity, 0);
    const byEngine = new Map<Engine, Capabilities['engines'][number]>();
    for (const r of this.o.registry.list()) {
      const reg = r.register;
      const entry = byEngine.get(r.engine) ?? {
        engine: r.engine,
        engine_versions: [],
        ctx_max: 1,
        max_tokens: 1,
        slots: 0,
        workloads: ['completion'],
        limits: {
          queue_capacity: { interactive: capacity('interactive'), batch: capacity('batch') },
        },
        features: [],
      };
      if (reg.engineVersion && !entry.engine_versions.includes(reg.engineVersion)) {
        entry.engine_versions.push(reg.engineVersion);
      }
      entry.ctx_max = Math.max(entry.ctx_max, reg.ctxMax);
      entry.max_tokens = entry.ctx_max;
      // ORCH-2101: a draining pool's replicas (or a drained replica, e.g. mid-reload) take no new
      // work, so they offer no slots.
      const draining =
        this.o.core.drainDeadline(reg.poolId) !== undefined ||
        this.o.core.replicaDrainDeadline(r.replicaId) !== undefined;
      if (this.o.registry.isReady(r) && !draining) entry.slots += reg.slots;
      for (const f of reg.features) if (!entry.features.includes(f)) entry.features.push(f);
      byEngine.set(r.engine, entry);
    }
    return { api_version: openApiVersion, engines: [...byEngine.values()] };
  }

  /** Refresh the gauges that mirror core's state (run at the start of every /metrics scrape). */
  refreshGauges(poolEngine: (poolId: string) => string): void {
    const gauge = this.o.metrics.queueDepth;
    const snapshot = this.o.core.snapshot();
    mirrorSnapshot(this.o.metrics, snapshot);
    gauge.reset();
    const leases = new Map<string, number>();
    for (const r of snapshot.replicas)
      leases.set(r.poolId, (leases.get(r.poolId) ?? 0) + r.activeLeases);
    this.o.metrics.leasesActive.reset();
    for (const [poolId, n] of leases) this.o.metrics.leasesActive.set({ pool_id: poolId }, n);
    for (const q of snapshot.queueDepth) {
      gauge.set(
        {
          engine: poolEngine(q.poolId),
          engine_version: this.o.director.engineVersionOf(q.poolId),
          pool_id: q.poolId,
          priority: q.priority,
        },
        q.depth,
      );
    }
  }

  /**
   * ORCH-3028: a body refused by the contract check is a task refused at admission too, so it
   * counts in tasks_rejected_total{reason}. The engine label comes from the body when it names a
   * known engine, else "unknown".
   */
  countInvalidBody(body: unknown, error: CoreError, api: ApiLabel = 'orchqueue'): void {
    const named = (body as { engine?: unknown } | null | undefined)?.engine;
    const engine =
      typeof named === 'string' && (ENGINES as readonly string[]).includes(named)
        ? named
        : 'unknown';
    this.o.metrics.tasksRejected.inc({ engine, reason: error.code, api });
    this.o.log.info({ engine, code: error.code, err: error.message, api }, 'task rejected');
  }

  private rejected(engine: Engine, error: CoreError, pinned: boolean, api: ApiLabel): void {
    this.o.metrics.tasksRejected.inc({ engine, reason: error.code, api });
    this.o.metrics.placementDecisions.inc({
      outcome: decisionOutcome(error.code),
      pinned: String(pinned),
      fallback: 'false',
    });
    if (error.httpStatus === 429) {
      const policy =
        error.policyLabel?.split(':')[0] ??
        (error.code === 'QUEUE_FULL_DROP_LRU' ? 'drop-lru' : 'reject');
      this.o.metrics.backpressure.inc({ engine, policy });
    }
    this.o.log.info({ engine, code: error.code, err: error.message }, 'task rejected');
  }
}

/** placement_decisions_total{outcome} for a task refused at admission. */
function decisionOutcome(code: string): DecisionOutcome {
  if (code === 'POOL_UNREADY') return 'unready';
  if (code === 'POOL_UNAVAILABLE' || code.startsWith('QUEUE_FULL')) return 'no_capacity';
  return 'rejected';
}

// TaskRequest.placement → core's placement input. `pin` keeps its pool (ORCH-2013/2014) and an
// optional replica (ORCH-3050). A replica pin is passed on even without `mode: pin` so core refuses
// it with INVALID_PARAMS: a pin must never be dropped silently.
export function placementInput(
  hint: TaskRequest['placement'],
): Pick<TaskSpecInput, 'placement'> | Record<string, never> {
  const replica = hint?.pin_replica_id ? { pin_replica_id: hint.pin_replica_id } : {};
  if (hint?.mode === 'pin' && hint.pin_pool_id) {
    return { placement: { mode: 'pin', pin_pool_id: hint.pin_pool_id, ...replica } };
  }
  if (hint?.pin_replica_id) return { placement: { mode: 'auto', ...replica } };
  return {};
}
