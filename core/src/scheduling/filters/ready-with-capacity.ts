// ORCH-3010/3019: only Ready replicas whose identity fits their pool and that have a free slot.
import type { Filter } from '../plugins.js';

export const readyWithCapacity: Filter = {
  name: 'ready-with-capacity',
  keep: (_ctx, c) => c.ready && c.eligible && c.freeSlots > 0,
};
