// Pure acceptance rule of the haiku gate (ORCH-5006, seed §4 "Accept if"). Never loosen it to
// make a model pass: the gate exists to prove a real model followed a fresh instruction.

interface HaikuExpectation {
  minuteWords: string;
  nonce: string;
}

export interface HaikuVerdict {
  accepted: boolean;
  /**
   * The same verdict with the minute phrase matched case-sensitively: reported beside the gate's
   * rule so the pass-rate table can show both (a model writes "Forty-seven" at a line start).
   */
  acceptedExactCase: boolean;
  nonEmptyLines: number;
  /** Whole-phrase hits of the minute words, any letter case (what the gate counts). */
  minuteWordsCount: number;
  /** Whole-phrase hits of the minute words in exactly the prompt's (lowercase) spelling. */
  minuteWordsExactCase: number;
  nonceCount: number;
  reasons: string[];
}

const MIN_NON_EMPTY_LINES = 3;

/**
 * Fixed fragments of the seed prompt. An output holding any of them restated the instruction
 * instead of answering it: a base model that echoes the prompt "contains" both strings and
 * has three lines, so without this rule an echo would pass (measured: gemma-3-270m base).
 * This only tightens the seed rule, never loosens it.
 */
const PROMPT_ECHO_FRAGMENTS = [
  'write a haiku (3 lines)',
  'exact english minute phrase',
  'include this nonce verbatim',
  'output only the poem',
] as const;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Occurrences of `phrase` as a whole phrase (case-sensitive unless `ignoreCase`). Letters,
 * digits and hyphens on either side disqualify a hit, so "one" is not found in "someone" or
 * "one7x", and "seven" is not found in "twenty-seven".
 */
export function countPhrase(text: string, phrase: string, ignoreCase = false): number {
  if (phrase.length === 0) return 0;
  const flags = ignoreCase ? 'gi' : 'g';
  const re = new RegExp(`(?<![A-Za-z0-9-])${escapeRegExp(phrase)}(?![A-Za-z0-9-])`, flags);
  return [...text.matchAll(re)].length;
}

/** Occurrences of `needle` anywhere (the nonce must appear verbatim, case-sensitive). */
export function countVerbatim(text: string, needle: string): number {
  if (needle.length === 0) return 0;
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) count += 1;
  return count;
}

function countNonEmptyLines(text: string): number {
  return text.split(/\r?\n/).filter((line) => line.trim().length > 0).length;
}

/**
 * Accept iff the output has at least three non-empty lines, contains the minute words (as a
 * whole phrase, any letter case: "Forty-seven" at a line start is the phrase a reader sees),
 * holds the nonce verbatim (case-exact), and does not echo the prompt.
 */
export function checkHaiku(output: string, expect: HaikuExpectation): HaikuVerdict {
  const reasons: string[] = [];
  if (expect.minuteWords.length === 0 || expect.nonce.length === 0) {
    reasons.push('expectation is empty');
  }
  const nonEmptyLines = countNonEmptyLines(output);
  const minuteWordsCount = countPhrase(output, expect.minuteWords, true);
  const minuteWordsExactCase = countPhrase(output, expect.minuteWords);
  const nonceCount = countVerbatim(output, expect.nonce);
  if (nonEmptyLines < MIN_NON_EMPTY_LINES) {
    reasons.push(`only ${nonEmptyLines} non-empty line(s), need ${MIN_NON_EMPTY_LINES}`);
  }
  if (minuteWordsCount < 1) {
    reasons.push(`minute words "${expect.minuteWords}" not found as a whole phrase`);
  }
  if (nonceCount < 1) reasons.push(`nonce "${expect.nonce}" not found verbatim`);
  const lower = output.toLowerCase();
  const echoed = PROMPT_ECHO_FRAGMENTS.filter((f) => lower.includes(f));
  if (echoed.length > 0) reasons.push(`output echoes the prompt (${echoed.join('; ')})`);
  const accepted = reasons.length === 0;
  return {
    accepted,
    acceptedExactCase: accepted && minuteWordsExactCase > 0,
    nonEmptyLines,
    minuteWordsCount,
    minuteWordsExactCase,
    nonceCount,
    reasons,
  };
}
