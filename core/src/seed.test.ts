import { describe, expect, it } from 'vitest';
import { injectSeed, resolveSeed } from './seed.js';

describe('ORCH-3091: seed injection', () => {
  it('ORCH-3091: is FNV-1a 32-bit over UTF-8 (published test vectors)', () => {
    expect(injectSeed('')).toBe(0x811c9dc5);
    expect(injectSeed('a')).toBe(0xe40c292c);
    expect(injectSeed('foobar')).toBe(0xbf9cf968);
  });

  it('ORCH-3091: is stable across releases for a task id (pinned value)', () => {
    // Changing this value breaks every client's reproducibility: ORCH-3045/3091.
    expect(injectSeed('11111111-2222-4333-8444-555555555555')).toBe(
      injectSeed('11111111-2222-4333-8444-555555555555'),
    );
    expect(injectSeed('t1')).toBe(138734806);
  });

  it('ORCH-3091: hashes UTF-8 bytes, not UTF-16 code units', () => {
    expect(injectSeed('é')).not.toBe(injectSeed('\u00e9'.normalize('NFD')));
    expect(Number.isInteger(injectSeed('日本'))).toBe(true);
    expect(injectSeed('日本')).toBeGreaterThanOrEqual(0);
  });

  it('ORCH-3091: a client seed wins over the derived one', () => {
    expect(resolveSeed('t1', 42)).toBe(42);
    expect(resolveSeed('t1', 0)).toBe(0);
    expect(resolveSeed('t1', undefined)).toBe(injectSeed('t1'));
  });
});
