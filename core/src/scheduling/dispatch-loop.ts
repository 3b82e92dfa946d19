// The scheduler loop. Per pool (in id order): pick a priority lane by weighted stride (interactive
// 8 : batch 1), a tenant flow by WFQ inside it, the flow's head task (EDF, then FIFO), and a replica
// of the pool's serving set through the placement profile. Only attached tasks are in flows, so
// only tasks a client waits for are dispatched; a task that can no longer meet its deadline ends
// with DEADLINE_UNMET instead. Each decision touches a constant number of heap tops.
import { pinUnready, pinnedReplicaProblem } from '../admission/replica-pin.js';
import { CoreError } from '../errors.js';
import type { PoolState, ReplicaRec, ReplicaSet, TaskRec } from '../model.js';
import type { CoreState } from '../state.js';
import type { Dispatch, DispatchBatch } from '../types.js';
import { smallestK } from '../util/indexed-heap.js';
import { place } from './placer.js';
import { chooseSet, countDispatch, hasRoom } from './model-transition.js';
import type { Candidate, PlacementContext } from './plugins.js';
import { readyLess } from './replica-registry.js';

function candidatesFor(
  s: CoreState,
  set: ReplicaSet | undefined,
  extra: readonly (ReplicaRec | undefined)[],
): { list: Candidate[]; recs: Map<string, ReplicaRec> } {
  const recs = new Map<string, ReplicaRec>();
  if (!set) return { list: [], recs };
  for (const rec of smallestK(set.ready, s.config.candidates, readyLess)) {
    recs.set(rec.state.replica_id, rec);
  }
  for (const rec of extra) if (rec) recs.set(rec.state.replica_id, rec);
  const list: Candidate[] = [];
  for (const rec of recs.values()) list.push(s.registry.candidate(rec));
  return { list, recs };
}

/**
 * ORCH-3100: P(service time <= time left to the deadline), taking service time as exponential with
 * the mean predicted at admission (absDeadline - latestStart). Deliberately pessimistic about the
 * tail; 1 only with no service time predicted.
 */
function onTimeProbability(task: TaskRec, now: number): number | undefined {
  const deadline = task.deadline;
  if (deadline === undefined) return undefined;
  const slack = deadline.abs - now;
  if (slack <= 0) return 0;
  const mean = deadline.abs - deadline.latestStart;
  if (!(mean > 0)) return 1;
  return Math.round((1 - Math.exp(-slack / mean)) * 1000) / 1000;
}

function assign(
  s: CoreState,
  pool: PoolState,
  task: TaskRec,
  rec: ReplicaRec,
  now: number,
): Dispatch {
  const lane = pool.lanes[task.spec.priority];
  const flow = lane.flows.get(task.spec.tenant);
  // Charge fairness while the flow and lane are still active, then take the task out.
  if (flow) lane.tenants.charge(flow);
  pool.priorities.charge(lane);
  s.unqueue(task);
  s.move(task, 'dispatch');
  const leaseId = `${s.config.leasePrefix}${++s.leaseSeq}`;
  const session = task.spec.session_id
    ? s.sessions.get(task.spec.tenant, task.spec.session_id)
    : undefined;
  task.lease = { leaseId, replicaId: rec.state.replica_id, startedAt: undefined };
  const kvWarmth = session?.lastReplicaId === rec.state.replica_id;
  task.attempts += 1;
  s.leases.set(leaseId, task);
  s.registry.leaseDelta(rec, +1);
  s.shares.record(task.spec.priority, task.spec.tenant);
  return {
    taskId: task.spec.task_id,
    leaseId,
    replicaId: rec.state.replica_id,
    poolId: pool.config.id,
    replicaSetKey: rec.setKey,
    kvWarmth,
    queuePosition: task.queuePosition,
    predictedStartMs: task.predictedStartMs,
    queueTimeMs: now - task.admittedAt,
    attempt: task.attempts,
    queueDepth: lane.arrivals.size,
    onTimeProbability: onTimeProbability(task, now),
    // Issue 19: a held prompt is read back here once, for the Assign and the lease's lifetime.
    task: task.spec.withText(s.specShapes),
  };
}

export function dispatchLoop(s: CoreState, limit = Infinity): DispatchBatch {
  const batch: DispatchBatch = { dispatches: [], terminal: [] };
  const now = s.now();
  for (const pool of s.poolList) {
    while (batch.dispatches.length < limit) {
      if (!hasRoom(pool)) break;
      const task = pool.priorities.peek()?.tenants.peek()?.tasks.peek();
      if (!task) break;
      if (task.deadline !== undefined && task.deadline.latestStart < now) {
        const ev = s.finish(
          task,
          'expire',
          'error',
          new CoreError('DEADLINE_UNMET', 'deadline can no longer be met', {
            engine: task.spec.engine,
            policyLabel: 'deadline.expired',
          }),
        );
        // finish() only refuses an already-terminal task, which can never head a flow; stop
        // rather than spin if that invariant were ever broken.
        if (!ev) break;
        batch.terminal.push(ev);
        continue;
      }
      const pinId = task.rare?.pinReplicaId;
      const pinProblem = pinId === undefined ? undefined : pinnedReplicaProblem(s, pool, pinId);
      if (pinProblem !== undefined) {
        // The pinned replica left the serving set or turned unready after admission: end the
        // task with the admission-time error instead of holding the pool's queue behind it.
        const ev = s.finish(task, 'expire', 'error', pinUnready(task.spec.engine, pinProblem));
        if (!ev) break;
        batch.terminal.push(ev);
        continue;
      }
      // ORCH-3033: during a canary the head task's side decides the set; if that side is full,
      // the pool's queue waits for it (as for a busy pinned replica).
      const { set, side } = chooseSet(pool, task);
      if (!set || set.ready.size === 0) break;
      const session = task.spec.session_id
        ? s.sessions.get(task.spec.tenant, task.spec.session_id)
        : undefined;
      const affinityId = session?.lastReplicaId;
      const affinity = affinityId !== undefined ? s.registry.replicas.get(affinityId) : undefined;
      const pinned = pinId !== undefined ? s.registry.replicas.get(pinId) : undefined;
      const spec = task.spec;
      const ctx: PlacementContext = {
        taskId: spec.task_id,
        poolId: pool.config.id,
        setKey: set.key,
        affinityReplicaId: affinityId,
        pinnedReplicaId: pinId,
        // Read only by a scorer that asks: a held prompt is read back from the caller (issue 19),
        // and the default profile never looks at it.
        get prompt() {
          return spec.prompt;
        },
        promptFormat: spec.prompt_format,
        priority: spec.priority,
      };
      const profile = s.profileOf(pool.config.id);
      // Pre-cycle: plugins may add replicas beyond the k least loaded (the prefix holders).
      const extra: (ReplicaRec | undefined)[] = [affinity, pinned];
      for (const { scorer } of profile.scorers) {
        for (const id of scorer.extraCandidates?.(ctx) ?? [])
          extra.push(s.registry.replicas.get(id));
      }
      const { list, recs } = candidatesFor(s, set, extra);
      const chosen = place(profile, ctx, list, s.profiles.fallback);
      const rec = chosen ? recs.get(chosen.replicaId) : undefined;
      // No candidate: either the pinned replica is Ready but busy (the pool's queue waits for its
      // slot, bounded by that replica's running work; pins are for audits, not bulk traffic), or
      // the ready index is inconsistent. Either way stop rather than spin.
      if (!rec) break;
      batch.dispatches.push(assign(s, pool, task, rec, now));
      countDispatch(pool, side);
      // Post-cycle: plugins learn where the task went (the prefix cache records its blocks).
      for (const { scorer } of profile.scorers) scorer.placed?.(ctx, rec.state.replica_id);
    }
  }
  return batch;
}
