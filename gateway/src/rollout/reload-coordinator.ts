// POST /v1/pools/{id}/reload (ORCH-2102): validates, starts one ReloadRun per pool and keeps the
// latest run's status for pool health. It follows the registry (re-registrations, ReloadResults)
// through a watcher, so the gateway's wiring is unchanged.
import { randomUUID } from 'node:crypto';
import { CoreError } from '@llama-orch/core';
import type { Scheduler } from '@llama-orch/core';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { ReplicaRegistry } from '../replicas/registry.js';
import { normalizeDigest } from '../replicas/registry.js';
import type { ConfigCommit } from './config-swap.js';
import type { ReloadTarget } from './reload-catalog.js';
import { resolveReloadTarget } from './reload-catalog.js';
import { ReloadRun } from './reload-run.js';
import type { CanaryPlan, ReloadStatus, ReloadTimings } from './reload-run.js';

export interface ReloadRequestInput {
  readonly newModelRef: string;
  readonly newModelDigest?: string | undefined;
  readonly drainDeadlineMs?: number | undefined;
  readonly replicaDeadlineMs?: number | undefined;
  /** ORCH-3033: reload only enough replicas for this share of tasks, then hold. */
  readonly canaryShare?: number | undefined;
}

export interface ReloadCoordinatorOptions {
  readonly core: Scheduler;
  readonly registry: ReplicaRegistry;
  readonly clock: () => number;
  readonly wallClock?: () => number;
  /** Reload targets (config `models[]` plus the pools' own models). */
  readonly catalog?: readonly ReloadTarget[];
  readonly timings?: Partial<ReloadTimings>;
  readonly log?: Logger;
  /** ORCH-3031: rewrites the config file after a successful reload (absent: nothing persists). */
  readonly commit?: ConfigCommit;
}

const DEFAULT_RELOAD_TIMINGS: ReloadTimings = {
  drainDeadlineMs: 30_000,
  replicaDeadlineMs: 180_000,
  aliasMs: 60_000,
  pollMs: 100,
};

export class ReloadCoordinator {
  private readonly runs = new Map<string, ReloadRun>();
  private readonly timings: ReloadTimings;
  private readonly log: Logger;

  constructor(private readonly o: ReloadCoordinatorOptions) {
    this.timings = { ...DEFAULT_RELOAD_TIMINGS, ...o.timings };
    this.log = o.log ?? pino({ level: 'silent' });
    o.registry.watch({
      replicaChanged: (r) => this.runs.get(r.register.poolId)?.wake(),
      replicaGone: (r) => this.runs.get(r.register.poolId)?.wake(),
      reloadResult: (r, result) =>
        this.runs.get(r.register.poolId)?.reloadResult(r.replicaId, result),
    });
  }

  /**
   * Start a reload; returns its id. Throws CoreError: NOT_FOUND (pool), INVALID_PARAMS (target not
   * configured; a canary on a pool with fewer than two replicas), ADMISSION_REJECT
   * `reload_in_progress` (one runs), POOL_UNAVAILABLE (draining pool).
   */
  start(poolId: string, req: ReloadRequestInput): string {
    const { core, registry } = this.o;
    const pool = core.poolModel(poolId);
    if (!pool) throw new CoreError('NOT_FOUND', `unknown pool ${poolId}`);
    const catalog = this.o.catalog ?? [];
    const to = resolveReloadTarget(
      catalog,
      { poolId, ...pool },
      req.newModelRef,
      req.newModelDigest,
    );
    const current = this.runs.get(poolId);
    if (current?.running) throw this.inProgress(poolId, current);
    if (core.drainDeadline(poolId) !== undefined) {
      throw new CoreError(
        'POOL_UNAVAILABLE',
        `pool ${poolId} is draining; undrain it before a reload`,
        {
          retryAfterMs: 5000,
          policyLabel: 'pool.draining',
        },
      );
    }
    // A pool without replicas switches its model at once (nothing to replace or roll back);
    // replicas that register later must serve the new model.
    const records = registry.list().filter((r) => r.register.poolId === poolId);
    // The old model as the replicas serve it now: the pinned digest, else the serving one's.
    const serving = records.find(
      (r) => registry.isReady(r) && r.register.modelRef === pool.modelRef,
    );
    const known = catalog.find((t) => t.ref === pool.modelRef);
    const from: ReloadTarget = {
      ref: pool.modelRef,
      path: known?.path,
      digest:
        pool.modelDigest ??
        known?.digest ??
        (serving ? normalizeDigest(serving.register.modelDigest) : undefined),
    };
    const order = records.map((r) => r.replicaId).sort();
    const canary = canaryPlan(poolId, req.canaryShare, order.length);
    const reloadId = randomUUID();
    const timings: ReloadTimings = {
      ...this.timings,
      ...(req.drainDeadlineMs !== undefined ? { drainDeadlineMs: req.drainDeadlineMs } : {}),
      ...(req.replicaDeadlineMs !== undefined ? { replicaDeadlineMs: req.replicaDeadlineMs } : {}),
    };
    const run = new ReloadRun(
      {
        core,
        registry,
        clock: this.o.clock,
        wallClock: this.o.wallClock ?? Date.now,
        log: this.log.child({ pool_id: poolId }),
        commit: this.o.commit,
      },
      poolId,
      reloadId,
      from,
      to,
      order,
      timings,
      canary,
    );
    this.runs.set(poolId, run);
    this.log.info(
      {
        pool_id: poolId,
        reload_id: reloadId,
        from: from.ref,
        to: to.ref,
        replicas: order,
        canary,
      },
      'reload started',
    );
    void run.run();
    return reloadId;
  }

  /** Stop waiting in every running reload (placement shutdown, tests). */
  close(): void {
    for (const run of this.runs.values()) run.abort();
  }

  /** The latest reload of the pool (running or finished), if any. */
  status(poolId: string): ReloadStatus | undefined {
    const run = this.runs.get(poolId);
    if (run?.holding) run.refreshCanary();
    return run?.status;
  }

  /**
   * ORCH-3033: end the canary hold of the pool's reload, by promoting it to every replica or by
   * rolling the canary replicas back; returns the reload id. Throws CoreError: NOT_FOUND (pool),
   * INVALID_PARAMS `reload.not_canary` (no reload holds a canary).
   */
  decideCanary(poolId: string, decision: 'promote' | 'rollback'): string {
    if (!this.o.core.poolModel(poolId)) throw new CoreError('NOT_FOUND', `unknown pool ${poolId}`);
    const run = this.runs.get(poolId);
    if (!run?.resolveCanary(decision)) {
      const latest = run ? `latest reload ${run.reloadId}: ${run.status.state}` : 'no reload ran';
      throw new CoreError(
        'INVALID_PARAMS',
        `pool ${poolId}: no reload holds a canary to ${decision} (${latest})`,
        { policyLabel: 'reload.not_canary' },
      );
    }
    return run.reloadId;
  }

  running(poolId: string): boolean {
    return this.runs.get(poolId)?.running ?? false;
  }

  /** The typed refusal for control actions that would fight a running reload. */
  refuseWhileRunning(poolId: string): void {
    const current = this.runs.get(poolId);
    if (current?.running) throw this.inProgress(poolId, current);
  }

  private inProgress(poolId: string, run: ReloadRun): CoreError {
    const s = run.status;
    const left = Math.max(1, s.replicas_total - s.replicas_done);
    return new CoreError(
      'ADMISSION_REJECT',
      `pool ${poolId}: reload ${s.reload_id} is running (${s.replicas_done}/${s.replicas_total} replicas done)`,
      {
        retryAfterMs: Math.min(left * 20_000, 600_000),
        policyLabel: 'reload_in_progress',
        engine:
          this.o.registry.list().find((r) => r.register.poolId === poolId)?.engine ?? 'llamacpp',
      },
    );
  }
}

/**
 * ORCH-3033: round(share × replicas) canary replicas, at least one, never the last replica of the
 * old model; a pool with fewer than two replicas cannot hold a canary.
 */
function canaryPlan(
  poolId: string,
  share: number | undefined,
  replicas: number,
): CanaryPlan | undefined {
  if (share === undefined) return undefined;
  if (!(share > 0 && share < 1)) {
    throw new CoreError('INVALID_PARAMS', `canary_share ${share} is not in (0, 1)`, {
      policyLabel: 'reload.canary',
    });
  }
  if (replicas < 2) {
    throw new CoreError(
      'INVALID_PARAMS',
      `pool ${poolId} has ${replicas} replica(s): a canary needs at least 2 (one keeps the old model)`,
      { policyLabel: 'reload.canary' },
    );
  }
  return { share, replicas: Math.min(replicas - 1, Math.max(1, Math.round(share * replicas))) };
}
