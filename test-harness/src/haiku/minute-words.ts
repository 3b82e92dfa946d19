// Minute of the hour in English words, for the haiku gate (ORCH-5006, seed §4).
// Convention (documented in e2e-haiku/README.md): lowercase, compound numbers joined with an
// ASCII hyphen-minus ("twenty-seven"), "zero" for :00. The seed prints "fifty‑nine" with a
// non-breaking hyphen; we normalise to U+002D because that is what tokenizers and users type.

const ONES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
] as const;

const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty'] as const;

const HAIKU_TIME_ZONE = 'Europe/Amsterdam';

/** English words for a minute 0..59, e.g. 27 → "twenty-seven". */
export function minuteWords(minute: number): string {
  if (!Number.isInteger(minute) || minute < 0 || minute > 59) {
    throw new RangeError(`minute must be an integer in 0..59, got ${minute}`);
  }
  if (minute < 20) return ONES[minute] as string;
  const tens = TENS[Math.floor(minute / 10)] as string;
  const ones = minute % 10;
  return ones === 0 ? tens : `${tens}-${ONES[ones] as string}`;
}

/** Minute of the hour at `at` in Europe/Amsterdam (Intl, so DST and odd offsets are handled). */
export function amsterdamMinute(at: Date): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: HAIKU_TIME_ZONE,
    minute: 'numeric',
  }).formatToParts(at);
  const minutePart = parts.find((p) => p.type === 'minute');
  if (minutePart === undefined) throw new Error('Intl did not return a minute part');
  return Number.parseInt(minutePart.value, 10);
}

/** minute_words for the instant `at` (seed §4 input). */
export function currentMinuteWords(at: Date): { minute: number; words: string } {
  const minute = amsterdamMinute(at);
  return { minute, words: minuteWords(minute) };
}
