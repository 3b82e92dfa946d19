// ORCH-3132: work ahead of a new request on each replica: the requests waiting inside the engine
// (the sidecars' load reports, Heartbeat.waiting) plus its busy fraction, normalised across the
// candidates: the shortest queue scores 1.
import type { Scorer } from '../plugins.js';
import { lowerIsBetter } from './normalise.js';

export const queueDepth: Scorer = {
  name: 'queue-depth',
  score: (_ctx, candidates) =>
    lowerIsBetter(candidates.map((c) => Math.max(0, c.queueDepth ?? 0) + c.load)),
};
