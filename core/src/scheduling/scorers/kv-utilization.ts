// ORCH-3132: KV-cache utilisation from the sidecars' load reports (Heartbeat.kv_usage_ratio),
// normalised across the candidates: the least used scores 1, the most used 0.
import type { Scorer } from '../plugins.js';
import { lowerIsBetter } from './normalise.js';

export const kvUtilization: Scorer = {
  name: 'kv-utilization',
  score: (_ctx, candidates) =>
    lowerIsBetter(candidates.map((c) => Math.min(1, Math.max(0, c.kvUsageRatio || 0)))),
};
