import { describe, expect, it } from 'vitest';
import { compareStreams, firstDifference } from './compare.js';

const toks = (n: number, tag = 'x'): string[] => Array.from({ length: n }, (_, i) => `${tag}${i} `);

describe('ORCH-3050: byte-exact stream comparison', () => {
  it('ORCH-3050: identical streams are equal in prefix, tokens and bytes', () => {
    expect(compareStreams(toks(48), toks(48))).toEqual({
      prefixEqual: true,
      tokensEqual: true,
      bytesEqual: true,
      firstDiff: -1,
    });
  });

  it('ORCH-3050: a difference after token 32 keeps the prefix but fails the full stream', () => {
    const b = toks(48);
    b[40] = 'other ';
    const c = compareStreams(toks(48), b);
    expect(c).toMatchObject({ prefixEqual: true, tokensEqual: false, bytesEqual: false });
    expect(c.firstDiff).toBe(40);
  });

  it('ORCH-3050: a difference inside the first 32 tokens fails the prefix', () => {
    const b = toks(48);
    b[3] = 'y ';
    expect(compareStreams(toks(48), b)).toMatchObject({ prefixEqual: false, firstDiff: 3 });
  });

  it('ORCH-3050: one stream ending early differs at its end, even inside the prefix', () => {
    expect(firstDifference(toks(10), toks(48))).toBe(10);
    expect(compareStreams(toks(10), toks(48)).prefixEqual).toBe(false);
  });

  it('ORCH-3050: the same bytes split into different tokens are byte-equal but not token-equal', () => {
    const c = compareStreams(['ab', 'c'], ['a', 'bc']);
    expect(c).toMatchObject({ bytesEqual: true, tokensEqual: false, firstDiff: 0 });
  });
});
