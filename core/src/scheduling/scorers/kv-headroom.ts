// ORCH-3022: score = 1 - kv_usage_ratio (clamped), preferring replicas with KV cache to spare.
import { perCandidate } from '../plugins.js';

export const kvHeadroom = perCandidate('kv-headroom', (_ctx, c) =>
  Math.min(1, Math.max(0, 1 - c.kvUsageRatio)),
);
