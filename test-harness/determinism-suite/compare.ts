// Byte-exact stream comparison (ORCH-3050): token texts one by one, the first `prefix` tokens,
// and the concatenated UTF-8 bytes. Pure, so its verdicts are unit-tested without an engine.

export const PREFIX_TOKENS = 32;

export interface StreamComparison {
  /** The first `prefix` tokens are identical (and both streams have them, or end together). */
  prefixEqual: boolean;
  /** Same token count and every token text identical. */
  tokensEqual: boolean;
  /** The concatenated token texts are byte-identical. */
  bytesEqual: boolean;
  /** First index where the token lists differ (a shorter list differs at its end); -1 if none. */
  firstDiff: number;
}

export function firstDifference(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export function compareStreams(
  a: readonly string[],
  b: readonly string[],
  prefix = PREFIX_TOKENS,
): StreamComparison {
  const firstDiff = firstDifference(a, b);
  const bytesEqual = Buffer.from(a.join(''), 'utf8').equals(Buffer.from(b.join(''), 'utf8'));
  return {
    prefixEqual: firstDiff === -1 || firstDiff >= prefix,
    tokensEqual: firstDiff === -1,
    bytesEqual,
    firstDiff,
  };
}
