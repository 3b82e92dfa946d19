// ORCH-3008: score = 1 - busy fraction, where busy = (slots_total - free slots) / slots_total.
import { perCandidate } from '../plugins.js';

export const leastLoad = perCandidate('least-load', (_ctx, c) =>
  Math.min(1, Math.max(0, 1 - c.load)),
);
