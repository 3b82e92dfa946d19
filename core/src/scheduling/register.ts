// Wires the default placement profile. A new scorer is one file plus one line here.
import type { PlacementWeights } from '../types.js';
import { pinnedReplica } from './filters/pinned-replica.js';
import { readyWithCapacity } from './filters/ready-with-capacity.js';
import { sameReplicaSet } from './filters/same-replica-set.js';
import { maxScore } from './pickers/max-score.js';
import type { PlacementProfile } from './plugins.js';
import { kvHeadroom } from './scorers/kv-headroom.js';
import { leastLoad } from './scorers/least-load.js';
import { sessionAffinity } from './scorers/session-affinity.js';

export function defaultProfile(weights: PlacementWeights): PlacementProfile {
  return {
    filters: [sameReplicaSet, pinnedReplica, readyWithCapacity],
    scorers: [
      { scorer: leastLoad, weight: weights.leastLoad },
      { scorer: sessionAffinity, weight: weights.sessionAffinity },
      { scorer: kvHeadroom, weight: weights.kvHeadroom },
    ],
    picker: maxScore,
  };
}
