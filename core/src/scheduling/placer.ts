// Runs one placement profile over a candidate list: filters → weighted scorers → picker.
import type { Candidate, PlacementContext, PlacementProfile, ScoredCandidate } from './plugins.js';

export function place(
  profile: PlacementProfile,
  ctx: PlacementContext,
  candidates: readonly Candidate[],
): Candidate | undefined {
  const scored: ScoredCandidate[] = [];
  outer: for (const candidate of candidates) {
    for (const f of profile.filters) if (!f.keep(ctx, candidate)) continue outer;
    let score = 0;
    for (const { scorer, weight } of profile.scorers) {
      const s = scorer.score(ctx, candidate);
      // A scorer outside [0,1] would silently dominate the others; clamp it instead.
      score += weight * (s > 1 ? 1 : s < 0 || Number.isNaN(s) ? 0 : s);
    }
    scored.push({ candidate, score });
  }
  return profile.picker.pick(ctx, scored)?.candidate;
}
