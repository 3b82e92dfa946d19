// The sample policy: prefer the session's replica, then the least loaded, then the one with the
// most KV cache to spare and the shortest engine queue; batch tasks ignore affinity. Scores are
// normalised across the candidates so the weights in the profile compose.
import {
  ABI_VERSION,
  abiVersion,
  clamp01,
  interactive,
  isAffinity,
  kvUsage,
  load_,
  queueDepth,
  setScore,
} from './sdk';

export { snapshot_ptr, snapshot_capacity, scores_ptr } from './sdk';

export function decide(n: i32): i32 {
  if (abiVersion() != ABI_VERSION) return 1;
  let maxQueue: f64 = 0;
  for (let i = 0; i < n; i++) maxQueue = Math.max(maxQueue, queueDepth(i));
  const affinityWeight: f64 = interactive() ? 0.4 : 0;
  for (let i = 0; i < n; i++) {
    const queue = maxQueue > 0 ? 1 - queueDepth(i) / maxQueue : 1;
    let s = 0.35 * clamp01(1 - load_(i)) + 0.15 * clamp01(1 - kvUsage(i)) + 0.1 * queue;
    if (isAffinity(i)) s += affinityWeight;
    setScore(i, clamp01(s / (0.6 + affinityWeight)));
  }
  return 0;
}
