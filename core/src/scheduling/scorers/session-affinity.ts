// ORCH-3009: score = 1 on the session's last good replica, else 0. With the default weights
// (affinity 2 > least-load 1) a session stays on its warm replica while it has a free slot.
import { perCandidate } from '../plugins.js';

export const sessionAffinity = perCandidate('session-affinity', (ctx, c) =>
  ctx.affinityReplicaId !== undefined && c.replicaId === ctx.affinityReplicaId ? 1 : 0,
);
