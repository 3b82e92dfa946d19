import { describe, expect, it } from 'vitest';
import { amsterdamMinute, currentMinuteWords, minuteWords } from './minute-words.js';

// Built independently of the implementation (a second, table-free derivation) so a shared bug
// in both is unlikely.
const UNITS = 'zero one two three four five six seven eight nine'.split(' ');
const TEENS =
  'ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen'.split(' ');
const DECADES: Record<number, string> = { 2: 'twenty', 3: 'thirty', 4: 'forty', 5: 'fifty' };
function reference(minute: number): string {
  if (minute < 10) return UNITS[minute] as string;
  if (minute < 20) return TEENS[minute - 10] as string;
  const d = DECADES[Math.floor(minute / 10)] as string;
  return minute % 10 === 0 ? d : `${d}-${UNITS[minute % 10] as string}`;
}

describe('ORCH-5006: minute words (Europe/Amsterdam, hyphenated compounds)', () => {
  for (let minute = 0; minute < 60; minute += 1) {
    it(`ORCH-5006: minute ${minute} → ${reference(minute)}`, () => {
      expect(minuteWords(minute)).toBe(reference(minute));
    });
  }

  it('ORCH-5006: all 60 are distinct, lowercase ASCII, hyphen only in compounds', () => {
    const all = Array.from({ length: 60 }, (_, m) => minuteWords(m));
    expect(new Set(all).size).toBe(60);
    for (const w of all) expect(w).toMatch(/^[a-z]+(-[a-z]+)?$/);
    expect(all.filter((w) => w.includes('-'))).toHaveLength(36);
  });

  it('ORCH-5006: out-of-range minutes are refused', () => {
    for (const bad of [-1, 60, 1.5, Number.NaN]) expect(() => minuteWords(bad)).toThrow(RangeError);
  });

  it('ORCH-5006: minute is read in Europe/Amsterdam (summer and winter time)', () => {
    expect(amsterdamMinute(new Date('2026-07-01T10:27:59Z'))).toBe(27);
    expect(amsterdamMinute(new Date('2026-12-01T23:59:00Z'))).toBe(59);
    expect(currentMinuteWords(new Date('2026-03-29T01:00:30Z'))).toEqual({
      minute: 0,
      words: 'zero',
    });
  });
});
