// Filler text for bench prompts: random words from a small fixed vocabulary, so prompt lengths are
// controlled and a seeded generator gives the same prompts on every run.
const WORDS = (
  'the a of and to in is was it that on for with as at by from light river stone quiet morning ' +
  'city old small bright road wind sea green house time water field night window garden winter ' +
  'summer letter music table story paper mountain valley forest bridge market harbour engine'
).split(' ');

/** `words` words drawn with `rnd` (a [0, 1) generator). */
export function text(rnd: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(rnd() * WORDS.length)] as string);
  return out.join(' ');
}
