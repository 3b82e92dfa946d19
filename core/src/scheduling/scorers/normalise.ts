// Min-max normalisation across the candidate list: the lowest value scores 1, the highest 0, and
// a pool where every candidate reports the same value scores 1 everywhere (nothing to prefer).
export function lowerIsBetter(values: readonly number[]): number[] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  return values.map((v) => (span > 0 ? (max - v) / span : 1));
}
