// ORCH-3033: the per-side figures of a canary reload for pool health: Ready replicas serving the
// target (canary) and the old model (stable), and the tasks core placed on each side.
import type { Scheduler } from '@llama-orch/core';
import type { ReplicaRegistry } from '../replicas/registry.js';
import { normalizeDigest } from '../replicas/registry.js';
import type { ReloadTarget } from './reload-catalog.js';

interface SideCounts {
  canary: number;
  stable: number;
}

export function canaryCounts(
  core: Scheduler,
  registry: ReplicaRegistry,
  poolId: string,
  from: ReloadTarget,
  to: ReloadTarget,
): { replicas: SideCounts; tasks: SideCounts | undefined } {
  const replicas: SideCounts = { canary: 0, stable: 0 };
  for (const r of registry.list()) {
    if (r.register.poolId !== poolId || !registry.isReady(r)) continue;
    if (core.replicaDrainDeadline(r.replicaId) !== undefined) continue;
    if (serves(r.register, to)) replicas.canary++;
    else if (serves(r.register, from)) replicas.stable++;
  }
  const split = core.poolModel(poolId)?.canary;
  return { replicas, tasks: split ? { ...split.dispatched } : undefined };
}

function serves(reg: { modelRef: string; modelDigest: string }, t: ReloadTarget): boolean {
  return (
    reg.modelRef === t.ref &&
    (t.digest === undefined || normalizeDigest(reg.modelDigest) === t.digest)
  );
}
