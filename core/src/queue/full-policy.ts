// ORCH-3004/3005: what happens when a bounded queue is full. `reject` refuses the newcomer
// (interactive default); `drop-lru` evicts the oldest queued task to make room (batch default).
import type { FullPolicy } from '../types.js';

type FullDecision = 'enqueue' | 'reject' | 'drop-oldest';

export function decideFull(depth: number, capacity: number, policy: FullPolicy): FullDecision {
  if (depth < capacity) return 'enqueue';
  // With nothing queued there is nothing to drop (capacity 0): refuse instead.
  if (policy === 'drop-lru' && depth > 0) return 'drop-oldest';
  return 'reject';
}
