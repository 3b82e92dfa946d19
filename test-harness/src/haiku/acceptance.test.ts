import { describe, expect, it } from 'vitest';
import { checkHaiku, countPhrase, countVerbatim } from './acceptance.js';
import { minuteWords } from './minute-words.js';
import { makeNonce } from './nonce.js';
import { seedPrompt } from './prompt.js';

// Cases are synthesised at test time from generic filler words plus a fresh minute/nonce pair;
// there is no stored poem anywhere (seed §4 anti-cheat).
const FILLER = ['alpha beta gamma', 'delta epsilon', 'zeta eta theta iota'];

function fresh(minute: number) {
  const words = minuteWords(minute);
  return { minuteWords: words, nonce: makeNonce(words) };
}

describe('ORCH-5006: haiku acceptance rule', () => {
  it('ORCH-5006: accepts 3 non-empty lines holding both strings', () => {
    const e = fresh(27);
    const text = [`${FILLER[0]} ${e.minuteWords}`, FILLER[1], `${FILLER[2]} ${e.nonce}`].join('\n');
    const v = checkHaiku(text, e);
    expect(v).toMatchObject({ accepted: true, nonEmptyLines: 3, minuteWordsCount: 1 });
  });

  it('ORCH-5006: blank lines do not count toward the 3', () => {
    const e = fresh(5);
    const text = `${e.minuteWords} ${e.nonce}\n\n   \n${FILLER[0]}\n`;
    const v = checkHaiku(text, e);
    expect(v.accepted).toBe(false);
    expect(v.nonEmptyLines).toBe(2);
  });

  it('ORCH-5006: rejects a missing nonce, a altered nonce and a missing minute', () => {
    const e = fresh(42);
    const base = [FILLER[0], FILLER[1], FILLER[2]];
    expect(checkHaiku([...base, e.minuteWords].join('\n'), e).accepted).toBe(false);
    const altered = e.nonce.slice(0, 7) + (e.nonce.endsWith('a') ? 'b' : 'a');
    expect(checkHaiku([...base, `${e.minuteWords} ${altered}`].join('\n'), e).accepted).toBe(false);
    expect(checkHaiku([...base, e.nonce.toUpperCase()].join('\n'), e).accepted).toBe(false);
    expect(checkHaiku([...base, e.nonce].join('\n'), e).accepted).toBe(false);
  });

  it('ORCH-5006: minute words count whole phrases; containing them twice still contains them', () => {
    const e = fresh(13);
    const twice = [`${e.minuteWords} ${FILLER[0]}`, `${e.minuteWords}`, e.nonce].join('\n');
    const v = checkHaiku(twice, e);
    expect(v.accepted).toBe(true);
    expect(v.minuteWordsCount).toBe(2);
    const inside = [`x${e.minuteWords}`, FILLER[1], e.nonce].join('\n');
    expect(checkHaiku(inside, e)).toMatchObject({ accepted: false, minuteWordsCount: 0 });
  });

  it('ORCH-5006: the minute phrase matches in any letter case; exact case is reported beside it', () => {
    const e = fresh(47);
    const capital = e.minuteWords.charAt(0).toUpperCase() + e.minuteWords.slice(1);
    const text = [`${capital} ${FILLER[0]}`, FILLER[1], `${FILLER[2]} ${e.nonce}`].join('\n');
    const v = checkHaiku(text, e);
    expect(v).toMatchObject({
      accepted: true,
      acceptedExactCase: false,
      minuteWordsCount: 1,
      minuteWordsExactCase: 0,
    });
    const exact = checkHaiku(text.replace(capital, e.minuteWords), e);
    expect(exact).toMatchObject({ accepted: true, acceptedExactCase: true });
  });

  it('ORCH-5006: whole-phrase match for the minute words (case-exact unless asked)', () => {
    expect(countPhrase('Twenty-Seven birds', 'twenty-seven', true)).toBe(1);
    expect(countPhrase('SOMEONE', 'one', true)).toBe(0);
    expect(countPhrase('Twenty-seven', 'seven', true)).toBe(0);
    expect(countPhrase('someone listened', 'one')).toBe(0);
    expect(countPhrase('twenty-seven birds', 'seven')).toBe(0);
    expect(countPhrase('twenty-seven birds', 'twenty')).toBe(0);
    expect(countPhrase('seven-ish', 'seven')).toBe(0);
    expect(countPhrase('one1abcde', 'one')).toBe(0);
    expect(countPhrase('at "twenty-seven", still', 'twenty-seven')).toBe(1);
    expect(countPhrase('Twenty-seven', 'twenty-seven')).toBe(0);
    expect(countPhrase('twenty seven', 'twenty-seven')).toBe(0);
    expect(countPhrase('one, one.', 'one')).toBe(2);
  });

  it('ORCH-5006: nonce is verbatim and case-exact', () => {
    expect(countVerbatim('xx ab12cd34 yy', 'ab12cd34')).toBe(1);
    expect(countVerbatim('"ab12cd34"ab12cd34', 'ab12cd34')).toBe(2);
    expect(countVerbatim('AB12CD34', 'ab12cd34')).toBe(0);
    expect(countVerbatim('ab12 cd34', 'ab12cd34')).toBe(0);
  });

  it('ORCH-5006: an echo of the prompt is rejected even though it holds both strings', () => {
    const e = fresh(27);
    const echo = [seedPrompt(e.minuteWords, e.nonce), FILLER[0], FILLER[1]].join('\n');
    const v = checkHaiku(echo, e);
    expect(v.minuteWordsCount).toBe(1);
    expect(v.nonceCount).toBe(1);
    expect(v.accepted).toBe(false);
    expect(v.reasons.join()).toMatch(/echoes the prompt/);
  });

  it('ORCH-5006: an empty expectation never accepts', () => {
    expect(checkHaiku('a\nb\nc', { minuteWords: '', nonce: '' }).accepted).toBe(false);
  });

  it('ORCH-5006: every minute phrase is found when placed in a synthetic 3-line text', () => {
    for (let m = 0; m < 60; m += 1) {
      const e = fresh(m);
      const text = `${FILLER[0]}\n${FILLER[1]}, ${e.minuteWords}.\n${FILLER[2]} (${e.nonce})`;
      expect(checkHaiku(text, e).accepted, `minute ${m}`).toBe(true);
    }
  });
});
