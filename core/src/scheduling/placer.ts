// Runs one placement profile over a candidate list: filters → weighted scorers (each sees the
// whole filtered list) → picker. A scorer out of service hands the decision to `fallback`.
import type { Candidate, PlacementContext, PlacementProfile, ScoredCandidate } from './plugins.js';

export function place(
  profile: PlacementProfile,
  ctx: PlacementContext,
  candidates: readonly Candidate[],
  fallback?: PlacementProfile,
): Candidate | undefined {
  const kept: Candidate[] = [];
  outer: for (const candidate of candidates) {
    for (const f of profile.filters) if (!f.keep(ctx, candidate)) continue outer;
    kept.push(candidate);
  }
  // Totals are summed scorer by scorer in profile order, as the per-candidate loop did before,
  // so the default profile's floating-point sums (and so its decisions) are unchanged.
  const totals = kept.map(() => 0);
  if (kept.length > 0) {
    for (const { scorer, weight } of profile.scorers) {
      const scores = scorer.score(ctx, kept);
      if (scores === undefined || scores.length !== kept.length) {
        return fallback && fallback !== profile ? place(fallback, ctx, candidates) : undefined;
      }
      for (let i = 0; i < kept.length; i++) {
        const s = scores[i] as number;
        // A scorer outside [0,1] would silently dominate the others; clamp it instead.
        totals[i] = (totals[i] as number) + weight * (s > 1 ? 1 : s < 0 || Number.isNaN(s) ? 0 : s);
      }
    }
  }
  const scored: ScoredCandidate[] = kept.map((candidate, i) => ({
    candidate,
    score: totals[i] as number,
  }));
  return profile.picker.pick(ctx, scored)?.candidate;
}
