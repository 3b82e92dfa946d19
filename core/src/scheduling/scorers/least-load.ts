// ORCH-3008: score = 1 - busy fraction, where busy = (slots_total - free slots) / slots_total.
import type { Scorer } from '../plugins.js';

export const leastLoad: Scorer = {
  name: 'least-load',
  score: (_ctx, c) => Math.min(1, Math.max(0, 1 - c.load)),
};
