// One reload of one pool (ORCH-2102, ORCH-3031, ORCH-3033): a rolling replace, one replica at a
// time. Per replica: drain it in core (the others keep serving), let its leases finish (bounded;
// the director's drain tick cancels the overdue ones), send Reload, and wait for a ReloadResult
// and a fresh registration, Ready, with the target identity. Any failure rolls back the failed
// replica and every replica already switched, the same way, newest first. The pool's model in
// core switches only when every replica is done. A canary reload (ORCH-3033) stops after its
// canary replicas and holds, with core splitting tasks between both sets, until promote (carry on)
// or rollback (the canary replicas back to the old model).
import type { PoolHealth } from '@llama-orch/contracts';
import type { Scheduler } from '@llama-orch/core';
import type { ReloadResult } from '@llama-orch/proto';
import type { Logger } from 'pino';
import type { ReplicaRegistry } from '../replicas/registry.js';
import { normalizeDigest } from '../replicas/registry.js';
import { canaryCounts } from './canary-status.js';
import type { ConfigCommit } from './config-swap.js';
import type { ReloadTarget } from './reload-catalog.js';

export type ReloadStatus = NonNullable<PoolHealth['reload']>;
type ReplicaStep = ReloadStatus['replicas'][number];

export interface ReloadTimings {
  /** Per replica: time its running leases may take before the drain tick cancels them. */
  readonly drainDeadlineMs: number;
  /** Per replica: Reload sent → Ready with the new identity, else the reload rolls back. */
  readonly replicaDeadlineMs: number;
  /** Old model ref keeps being answered for this long after success. */
  readonly aliasMs: number;
  /** Re-check interval while waiting (events also wake the waits). */
  readonly pollMs: number;
}

interface ReloadRunDeps {
  readonly core: Scheduler;
  readonly registry: ReplicaRegistry;
  /** Placement clock (ms, monotonic): deadlines. */
  readonly clock: () => number;
  /** Wall clock (ms since epoch): timestamps in the status. */
  readonly wallClock: () => number;
  readonly log: Logger;
  /** ORCH-3031: put the new model into the config file once the reload succeeded. */
  readonly commit?: ConfigCommit | undefined;
}

/** ORCH-3033: hold after the first `replicas` of the order with `share` of tasks on them. */
export interface CanaryPlan {
  readonly share: number;
  readonly replicas: number;
}

type Decision = 'promote' | 'rollback';

interface StepFailure {
  readonly step: string;
  readonly message: string;
}

// After the drain deadline the director's tick sends Cancel; the sidecar needs a moment to end.
const CANCEL_SETTLE_MS = 5000;

export class ReloadRun {
  readonly status: ReloadStatus;
  private readonly results = new Map<string, ReloadResult>();
  private readonly wakers = new Set<() => void>();
  private seq = 0;
  private aborted = false;
  private decide: ((d: Decision) => void) | undefined;

  constructor(
    private readonly d: ReloadRunDeps,
    readonly poolId: string,
    readonly reloadId: string,
    private readonly from: ReloadTarget,
    private to: ReloadTarget,
    private readonly order: readonly string[],
    private readonly t: ReloadTimings,
    private readonly canary?: CanaryPlan,
  ) {
    this.status = {
      reload_id: reloadId,
      state: 'running',
      from: model(from),
      to: model(to),
      replicas_total: order.length,
      replicas_done: 0,
      phase: 'draining',
      started_at: new Date(d.wallClock()).toISOString(),
      finished_at: null,
      error: null,
      replicas: order.map((replica_id): ReplicaStep => ({ replica_id, state: 'pending' })),
    };
  }

  /** Running or holding a canary: other control actions on the pool wait for it. */
  get running(): boolean {
    return this.status.state === 'running' || this.status.state === 'canary';
  }

  get holding(): boolean {
    return this.status.state === 'canary';
  }

  /** ORCH-3033: end the canary hold; false when the run holds none. */
  resolveCanary(decision: Decision): boolean {
    if (!this.holding || !this.decide) return false;
    this.status.state = 'running';
    this.status.phase = decision === 'promote' ? 'draining' : 'rolling_back';
    const decide = this.decide;
    this.decide = undefined;
    this.d.log.info({ reload_id: this.reloadId, decision }, 'canary decision');
    decide(decision);
    return true;
  }

  /** Live per-side counts for health while a canary split exists. */
  refreshCanary(): void {
    const c = this.status.canary;
    if (!c) return;
    const now = canaryCounts(this.d.core, this.d.registry, this.poolId, this.from, this.to);
    c.replicas = now.replicas;
    if (now.tasks) c.tasks = now.tasks;
  }

  /** A registry event: re-check whatever the run waits for. */
  wake(): void {
    for (const w of [...this.wakers]) w();
  }

  reloadResult(replicaId: string, result: ReloadResult): void {
    if (!result.reloadId.startsWith(`${this.reloadId}:`)) return; // another run's, or stale
    this.results.set(result.reloadId, result);
    this.d.log.info(
      { reload_id: result.reloadId, replica_id: replicaId, ok: result.ok, step: result.failedStep },
      'reload result',
    );
    this.wake();
  }

  /** Runs to the end; never throws (the outcome is in `status`). */
  async run(): Promise<void> {
    try {
      await this.replaceAll();
    } catch (err) {
      // A bug, not an outcome: say so in health rather than leave the reload `running` forever.
      this.d.log.error({ err, reload_id: this.reloadId }, 'reload crashed');
      this.status.error ??= {
        replica_id: this.status.current_replica ?? '',
        failed_step: 'internal',
        message: err instanceof Error ? err.message : String(err),
      };
      this.d.core.endModelTransition(this.poolId, false);
      for (const id of this.order) this.d.core.undrainReplica(id);
      this.finish('failed');
    }
  }

  /** Placement shuts down: every wait ends now (the run then ends as failed or rolled back). */
  abort(): void {
    this.aborted = true;
    this.decide?.('rollback');
    this.wake();
  }

  private async replaceAll(): Promise<void> {
    const { core, log } = this.d;
    core.beginModelTransition(this.poolId, { modelRef: this.to.ref, modelDigest: this.to.digest });
    const switched: string[] = [];
    for (const [i, replicaId] of this.order.entries()) {
      if (this.canary && i === this.canary.replicas) {
        if ((await this.hold(this.canary)) === 'rollback') {
          // One action (ORCH-3033): no new task goes to the canary set from now on.
          core.setCanaryShare(this.poolId, undefined);
          await this.rollback(switched.reverse());
          return;
        }
      }
      const failure = await this.replace(i, this.to);
      if (failure) {
        this.step(i).state = 'failed';
        this.status.error = {
          replica_id: replicaId,
          failed_step: failure.step,
          message: failure.message,
        };
        log.warn(
          { reload_id: this.reloadId, replica_id: replicaId, ...failure },
          'reload failed; rolling back',
        );
        await this.rollback([replicaId, ...switched.reverse()]);
        return;
      }
      switched.push(replicaId);
      this.status.replicas_done = switched.length;
      if (this.to.digest === undefined) this.learnDigest(replicaId);
    }
    core.endModelTransition(this.poolId, true, this.t.aliasMs);
    const kept = this.d.commit?.(this.poolId, this.from, this.to);
    if (kept) this.status.error = { replica_id: '', failed_step: 'config', message: kept };
    this.finish('succeeded');
  }

  /** ORCH-3033: core splits tasks by `share`; wait for promote or rollback. */
  private hold(plan: CanaryPlan): Promise<Decision> {
    const { core, log } = this.d;
    const split = core.setCanaryShare(this.poolId, plan.share);
    if (!split.ok) throw split.error;
    this.status.state = 'canary';
    this.status.phase = 'holding';
    delete this.status.current_replica;
    this.status.canary = {
      share: plan.share,
      canary_replicas: this.order.slice(0, plan.replicas),
      replicas: { canary: 0, stable: 0 },
      tasks: { canary: 0, stable: 0 },
    };
    this.refreshCanary();
    log.info(
      { reload_id: this.reloadId, share: plan.share, canary: this.status.canary.canary_replicas },
      'canary holding',
    );
    return new Promise((resolve) => {
      this.decide = resolve;
      if (this.aborted) this.resolveCanary('rollback');
    });
  }

  /** ORCH-3033: every listed replica back to the old model, in one action; pool keeps its model. */
  private async rollback(replicaIds: readonly string[]): Promise<void> {
    this.status.phase = 'rolling_back';
    let complete = true;
    for (const replicaId of replicaIds) {
      const i = this.order.indexOf(replicaId);
      const failure = await this.replace(i, this.from);
      if (failure) {
        complete = false;
        this.d.log.error(
          { reload_id: this.reloadId, replica_id: replicaId, ...failure },
          'rollback step failed',
        );
        this.d.core.undrainReplica(replicaId);
      } else {
        this.step(i).state = 'rolled_back';
      }
    }
    this.status.replicas_done = 0;
    this.d.core.endModelTransition(this.poolId, false);
    this.finish(complete ? 'rolled_back' : 'failed');
  }

  /** One replica to `target`: drain, Reload, Ready with the target identity, undrain. */
  private async replace(i: number, target: ReloadTarget): Promise<StepFailure | undefined> {
    const { core, registry, clock, wallClock } = this.d;
    const replicaId = this.order[i] as string;
    const step = this.step(i);
    const t0 = wallClock();
    this.status.current_replica = replicaId;
    if (this.status.phase !== 'rolling_back') this.status.phase = 'draining';
    step.state = 'draining';
    core.drainReplica(replicaId, this.t.drainDeadlineMs); // NOT_FOUND (gone) is caught below
    await this.waitUntil(
      () => core.leasesOn(replicaId).length === 0,
      clock() + this.t.drainDeadlineMs + CANCEL_SETTLE_MS,
    );
    if (this.status.phase !== 'rolling_back') this.status.phase = 'reloading';
    step.state = 'reloading';
    const deadlineAt = clock() + this.t.replicaDeadlineMs;
    let failure: StepFailure | undefined;
    for (;;) {
      const sentAt = clock();
      const reloadId = `${this.reloadId}:${replicaId}:${++this.seq}`;
      const sent = registry.send(replicaId, {
        cmd: {
          $case: 'reload',
          value: {
            newModelRef: target.ref,
            newModelPath: target.path ?? '',
            newModelDigest: target.digest ?? '',
            reloadId,
          },
        },
      });
      if (!sent) {
        failure = { step: 'lost', message: `${replicaId}: control stream gone, Reload not sent` };
      } else {
        const done = await this.waitUntil(
          () => this.results.get(reloadId)?.ok === false || this.serves(replicaId, target, sentAt),
          deadlineAt,
        );
        const result = this.results.get(reloadId);
        failure =
          result && !result.ok
            ? { step: result.failedStep || 'launch', message: `${replicaId}: ${result.message}` }
            : done
              ? undefined
              : {
                  step: 'deadline',
                  message: `${replicaId}: not Ready with ${target.ref} within ${this.t.replicaDeadlineMs} ms`,
                };
      }
      // A rollback insists until its deadline: the sidecar may still be busy with the failed step.
      if (!failure || this.status.phase !== 'rolling_back' || this.aborted) break;
      if (clock() >= deadlineAt) break;
      await this.waitUntil(() => false, Math.min(deadlineAt, clock() + 1000));
    }
    if (failure) return failure;
    core.undrainReplica(replicaId);
    step.state = 'done';
    step.wall_ms = Math.max(0, Math.round(wallClock() - t0));
    this.d.log.info(
      {
        reload_id: this.reloadId,
        replica_id: replicaId,
        model_ref: target.ref,
        wall_ms: step.wall_ms,
      },
      'replica reloaded',
    );
    return undefined;
  }

  /** Registered again after `since`, Ready, with the target's ref (and digest when pinned). */
  private serves(replicaId: string, target: ReloadTarget, since: number): boolean {
    const record = this.d.registry.get(replicaId);
    if (!record || record.connectedAt < since || !this.d.registry.isReady(record)) return false;
    const reg = record.register;
    return (
      reg.modelRef === target.ref &&
      (target.digest === undefined || normalizeDigest(reg.modelDigest) === target.digest)
    );
  }

  /** Unpinned target: the first switched replica's digest pins it for the rest (ORCH-3007). */
  private learnDigest(replicaId: string): void {
    const reg = this.d.registry.get(replicaId)?.register;
    if (!reg?.modelDigest) return;
    this.to = { ...this.to, digest: normalizeDigest(reg.modelDigest) };
    this.status.to = model(this.to);
    this.d.core.beginModelTransition(this.poolId, {
      modelRef: this.to.ref,
      modelDigest: this.to.digest,
    });
  }

  private waitUntil(pred: () => boolean, deadlineAt: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (pred()) return end(true);
        if (this.aborted || this.d.clock() >= deadlineAt) end(false);
      };
      const timer = setInterval(check, this.t.pollMs);
      timer.unref();
      const end = (value: boolean): void => {
        clearInterval(timer);
        this.wakers.delete(check);
        resolve(value);
      };
      this.wakers.add(check);
      check();
    });
  }

  private step(i: number): ReplicaStep {
    return this.status.replicas[i] as ReplicaStep;
  }

  private finish(state: ReloadStatus['state']): void {
    this.refreshCanary();
    this.status.state = state;
    this.status.phase = 'done';
    delete this.status.current_replica;
    this.status.finished_at = new Date(this.d.wallClock()).toISOString();
    this.d.log.info(
      { reload_id: this.reloadId, pool_id: this.poolId, state, error: this.status.error },
      'reload finished',
    );
  }
}

function model(t: ReloadTarget): ReloadStatus['from'] {
  return { model_ref: t.ref, ...(t.digest ? { model_digest: t.digest } : {}) };
}
