// ORCH-3050: a task pinned to one replica (`placement.pin_replica_id`) is only ever placed there.
// Runs after same-replica-set, so a pin can never pull a task out of its pool's serving set.
import type { Filter } from '../plugins.js';

export const pinnedReplica: Filter = {
  name: 'pinned-replica',
  keep: (ctx, c) => ctx.pinnedReplicaId === undefined || c.replicaId === ctx.pinnedReplicaId,
};
