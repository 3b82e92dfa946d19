// Highest total score wins; equal scores go to the smallest replica_id, so the choice is
// deterministic whatever order candidates arrive in.
import type { Picker, ScoredCandidate } from '../plugins.js';

export const maxScore: Picker = {
  name: 'max-score',
  pick: (_ctx, scored) => {
    let best: ScoredCandidate | undefined;
    for (const s of scored) {
      if (
        best === undefined ||
        s.score > best.score ||
        (s.score === best.score && s.candidate.replicaId < best.candidate.replicaId)
      ) {
        best = s;
      }
    }
    return best;
  },
};
