// ORCH-3133: the snapshot a WASI policy scores, as float64 slots in the policy's own memory (the
// layout tools/policy-sdk/assembly/sdk.ts reads). Replica ids are not passed: a policy scores
// candidates by position, and core hands them over in a deterministic order.
import type { Candidate, PlacementContext } from '@llama-orch/core';

const ABI_VERSION = 1;
const HEADER_SLOTS = 8;
const CANDIDATE_SLOTS = 8;

/**
 * Header: [abi version, candidates, interactive (1/0), has affinity (1/0), prompt chars, pinned
 * (1/0), 0, 0]. Per candidate: [load, free slots, slots total, kv usage ratio, queue depth,
 * is the session's replica (1/0), ordinal, 0].
 */
export function encodeSnapshot(
  ctx: PlacementContext,
  candidates: readonly Candidate[],
  into: Float64Array,
): number {
  const need = HEADER_SLOTS + CANDIDATE_SLOTS * candidates.length;
  if (need > into.length) return -1;
  into.fill(0, 0, need);
  into[0] = ABI_VERSION;
  into[1] = candidates.length;
  into[2] = ctx.priority === 'batch' ? 0 : 1;
  into[3] = ctx.affinityReplicaId !== undefined ? 1 : 0;
  into[4] = ctx.prompt?.length ?? 0;
  into[5] = ctx.pinnedReplicaId !== undefined ? 1 : 0;
  candidates.forEach((c, i) => {
    const at = HEADER_SLOTS + i * CANDIDATE_SLOTS;
    into[at] = c.load;
    into[at + 1] = c.freeSlots;
    into[at + 2] = c.slotsTotal;
    into[at + 3] = c.kvUsageRatio;
    into[at + 4] = c.queueDepth ?? 0;
    into[at + 5] = c.replicaId === ctx.affinityReplicaId ? 1 : 0;
    into[at + 6] = i;
  });
  return need;
}
