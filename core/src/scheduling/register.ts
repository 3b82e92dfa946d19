// The plugin registry: every filter, scorer and picker by type name, and the default profile.
// A new plugin is one file plus one line in BUILTIN_PLUGINS. Profiles are built in profiles.ts.
import type { PlacementWeights } from '../types.js';
import { pinnedReplica } from './filters/pinned-replica.js';
import { readyWithCapacity } from './filters/ready-with-capacity.js';
import { sameReplicaSet } from './filters/same-replica-set.js';
import { maxScore } from './pickers/max-score.js';
import type { Filter, PlacementProfile, PluginFactory } from './plugins.js';
import { kvHeadroom } from './scorers/kv-headroom.js';
import { kvUtilization } from './scorers/kv-utilization.js';
import { leastLoad } from './scorers/least-load.js';
import { PrefixCacheScorer, prefixCacheParams } from './scorers/prefix-cache.js';
import { queueDepth } from './scorers/queue-depth.js';
import { roundRobin } from './scorers/round-robin.js';
import { sessionAffinity } from './scorers/session-affinity.js';
import { noParams } from './params.js';

/** Filters every profile starts with: correctness, not policy (ORCH-3007/3010/3046/3050). */
export const REQUIRED_FILTERS: readonly Filter[] = [
  sameReplicaSet,
  pinnedReplica,
  readyWithCapacity,
];

export const BUILTIN_PLUGINS: Readonly<Record<string, PluginFactory>> = {
  'least-load': { kind: 'scorer', create: (p) => noParams('least-load', p, leastLoad) },
  'session-affinity': {
    kind: 'scorer',
    create: (p) => noParams('session-affinity', p, sessionAffinity),
  },
  'kv-headroom': { kind: 'scorer', create: (p) => noParams('kv-headroom', p, kvHeadroom) },
  'kv-utilization': {
    kind: 'scorer',
    create: (p) => noParams('kv-utilization', p, kvUtilization),
  },
  'queue-depth': { kind: 'scorer', create: (p) => noParams('queue-depth', p, queueDepth) },
  'prefix-cache': { kind: 'scorer', create: (p) => new PrefixCacheScorer(prefixCacheParams(p)) },
  'round-robin': { kind: 'scorer', create: (p) => noParams('round-robin', p, roundRobin()) },
  'max-score': { kind: 'picker', create: (p) => noParams('max-score', p, maxScore) },
};

/** The profile placement had before profiles were configurable; `default` names it in config. */
export function defaultProfile(weights: PlacementWeights): PlacementProfile {
  return {
    name: 'default',
    filters: REQUIRED_FILTERS,
    scorers: [
      { scorer: leastLoad, weight: weights.leastLoad },
      { scorer: sessionAffinity, weight: weights.sessionAffinity },
      { scorer: kvHeadroom, weight: weights.kvHeadroom },
    ],
    picker: maxScore,
  };
}
