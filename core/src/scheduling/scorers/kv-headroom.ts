// ORCH-3022: score = 1 - kv_usage_ratio (clamped), preferring replicas with KV cache to spare.
import type { Scorer } from '../plugins.js';

export const kvHeadroom: Scorer = {
  name: 'kv-headroom',
  score: (_ctx, c) => Math.min(1, Math.max(0, 1 - c.kvUsageRatio)),
};
