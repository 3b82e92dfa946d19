import { describe, expect, it } from 'vitest';
import { NONCE_LENGTH, isValidNonce, makeNonce } from './nonce.js';

describe('ORCH-5006: haiku nonce', () => {
  it('ORCH-5006: 8 chars of [a-z0-9] with a letter and a digit, fresh each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const nonce = makeNonce('seven');
      expect(nonce).toHaveLength(NONCE_LENGTH);
      expect(isValidNonce(nonce)).toBe(true);
      seen.add(nonce);
    }
    expect(seen.size).toBeGreaterThan(195);
  });

  it('ORCH-5006: never contains the minute words', () => {
    // A scripted source that first spells "one" then falls back to a varied sequence.
    const script = [14, 13, 4, 27, 28, 29, 30, 31];
    let i = 0;
    const random = (max: number) => (i < script.length ? script[i++]! : i++ % max);
    const nonce = makeNonce('one', random);
    expect(nonce).not.toContain('one');
    expect(isValidNonce(nonce)).toBe(true);
  });

  it('ORCH-5006: a constant randomness source is detected, not looped forever', () => {
    expect(() => makeNonce('x', () => 0)).toThrow(/not random/);
  });
});
