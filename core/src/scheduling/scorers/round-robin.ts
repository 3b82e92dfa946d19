// ORCH-3130: round-robin, the content-blind baseline (what a Kubernetes Service or a plain load
// balancer does): the next replica after the one chosen last, in replica-id order, among the
// candidates that can take the task (a busy replica is skipped: placement never over-commits).
// Stateful per profile and per pool: the replicas it has seen (every heartbeat reports one) and
// the last choice; the next few in rotation join the candidate list, since the k least loaded
// alone would keep the rotation on the lowest ids whenever loads tie.
import type { Candidate, PlacementContext, Scorer } from '../plugins.js';

/** Replicas after the last choice added to the candidate list. */
const LOOKAHEAD = 4;

interface Ring {
  ids: Set<string>;
  sorted: string[] | undefined;
  last: string;
}

export function roundRobin(): Scorer {
  const rings = new Map<string, Ring>();
  const ring = (poolId: string): Ring => {
    let r = rings.get(poolId);
    if (!r) {
      r = { ids: new Set(), sorted: [], last: '' };
      rings.set(poolId, r);
    }
    return r;
  };
  const sorted = (r: Ring): string[] => (r.sorted ??= [...r.ids].sort());
  return {
    name: 'round-robin',
    seen: (replicaId, poolId) => {
      const r = ring(poolId);
      if (!r.ids.has(replicaId)) {
        r.ids.add(replicaId);
        r.sorted = undefined;
      }
    },
    forget: (replicaId) => {
      // A replica whose engine restarted or left rejoins the rotation at its next heartbeat.
      for (const r of rings.values()) if (r.ids.delete(replicaId)) r.sorted = undefined;
    },
    extraCandidates: (ctx) => {
      const r = ring(ctx.poolId);
      const ids = sorted(r);
      if (ids.length === 0) return [];
      const at = ids.findIndex((id) => id > r.last);
      const from = at < 0 ? 0 : at;
      const out: string[] = [];
      for (let i = 0; i < Math.min(LOOKAHEAD, ids.length); i++) {
        out.push(ids[(from + i) % ids.length] as string);
      }
      return out;
    },
    score: (ctx: PlacementContext, candidates: readonly Candidate[]) => {
      const last = ring(ctx.poolId).last;
      const ids = candidates.map((c) => c.replicaId).sort();
      const next = ids.find((id) => id > last) ?? ids[0];
      return candidates.map((c) => (c.replicaId === next ? 1 : 0));
    },
    placed: (ctx, replicaId) => {
      ring(ctx.poolId).last = replicaId;
    },
  };
}
