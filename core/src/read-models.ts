// Read-only views for the gateway's metrics and control plane. Output order is always sorted so
// two schedulers fed the same inputs report identical snapshots.
import { placesIn } from './scheduling/model-transition.js';
import { freeSlots } from './scheduling/replica-registry.js';
import type { CoreState } from './state.js';
import { PRIORITIES } from './types.js';
import type { ReplicaLoad, SchedulerSnapshot, SessionInfo, TaskView } from './types.js';

export function snapshot(s: CoreState): SchedulerSnapshot {
  const queueDepth: SchedulerSnapshot['queueDepth'] = [];
  const servingSets: SchedulerSnapshot['servingSets'] = [];
  for (const pool of s.poolList) {
    for (const priority of PRIORITIES) {
      queueDepth.push({
        poolId: pool.config.id,
        priority,
        depth: pool.lanes[priority].arrivals.size,
        capacity: pool.config.queues[priority].capacity,
      });
    }
    const entry: SchedulerSnapshot['servingSets'][number] = { poolId: pool.config.id };
    if (pool.serving) entry.replicaSetKey = pool.serving.key;
    servingSets.push(entry);
  }
  const replicas: ReplicaLoad[] = [];
  for (const rec of s.registry.replicas.values()) {
    const pool = s.pools.get(rec.state.pool_id);
    replicas.push({
      replicaId: rec.state.replica_id,
      poolId: rec.state.pool_id,
      replicaSetKey: rec.setKey,
      ready: rec.state.ready && rec.eligible,
      serving: pool !== undefined && placesIn(pool, rec.setKey),
      slotsTotal: rec.state.slots_total,
      slotsFree: freeSlots(rec),
      activeLeases: rec.activeLeases,
      kvUsageRatio: rec.state.kv_usage_ratio ?? 0,
    });
  }
  replicas.sort((a, b) => (a.replicaId < b.replicaId ? -1 : a.replicaId > b.replicaId ? 1 : 0));
  return {
    at: s.now(),
    queueDepth,
    admissionShare: s.shares.entries().map((e) => ({
      tenant: e.member,
      priority: e.group as (typeof PRIORITIES)[number],
      share: e.share,
    })),
    deadlinesMetRatio: PRIORITIES.map((priority) => ({ priority, ...s.deadlines.read(priority) })),
    replicas,
    servingSets,
    liveTasks: s.live,
    retainedTerminal: s.retainedTerminal,
  };
}

export function taskView(s: CoreState, taskId: string): TaskView | undefined {
  const t = s.tasks.get(taskId);
  if (!t) return undefined;
  const view: TaskView = {
    taskId: t.spec.task_id,
    tenant: t.spec.tenant,
    poolId: t.poolId,
    priority: t.spec.priority,
    state: t.state,
    attached: t.attached,
  };
  if (t.lease !== undefined) {
    view.leaseId = t.lease.leaseId;
    view.replicaId = t.lease.replicaId;
  }
  if (t.terminal) view.terminal = t.terminal;
  return view;
}

export function sessionInfo(
  s: CoreState,
  tenant: string,
  sessionId: string,
): SessionInfo | undefined {
  const rec = s.sessions.get(tenant, sessionId);
  const now = s.now();
  if (!rec || s.sessions.ttlRemaining(rec, now) === 0) return undefined;
  const replica =
    rec.lastReplicaId !== undefined ? s.registry.replicas.get(rec.lastReplicaId) : undefined;
  const info: SessionInfo = {
    sessionId,
    tenant,
    ttlMsRemaining: s.sessions.ttlRemaining(rec, now),
    turns: rec.turns,
    tokensUsed: rec.tokensUsed,
    timeUsedMs: rec.timeUsedMs,
    kvWarmth: replica !== undefined && replica.state.ready,
    kvBytes: Math.round(rec.kvMb * 1024 * 1024),
  };
  if (rec.lastReplicaId !== undefined) info.lastReplicaId = rec.lastReplicaId;
  return info;
}
