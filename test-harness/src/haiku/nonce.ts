// The 8-character nonce of the haiku gate (seed §4). Lowercase letters and digits only: the
// model must copy it verbatim, and mixed case would only test the tokenizer, not the pipeline.
import { randomInt } from 'node:crypto';

export const NONCE_LENGTH = 8;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Injectable randomness so tests can drive the generator; defaults to crypto.randomInt. */
type RandomIndex = (exclusiveMax: number) => number;

/**
 * mulberry32, a tiny seeded PRNG: the pass-rate studies draw the same nonces on every run, so
 * their pair sets stay comparable across recipes, models and days.
 */
export function seededIndex(seed: number): RandomIndex {
  let state = seed >>> 0;
  return (max) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * max);
  };
}

/**
 * A fresh nonce. It always holds at least one digit and one letter so it can never be an
 * English word, and it never contains `avoid` (the minute words), so counting the minute
 * phrase in the output cannot be fooled by the nonce itself.
 */
export function makeNonce(avoid: string, random: RandomIndex = randomInt): string {
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    let nonce = '';
    for (let i = 0; i < NONCE_LENGTH; i += 1) nonce += ALPHABET[random(ALPHABET.length)];
    const hasDigit = /[0-9]/.test(nonce);
    const hasLetter = /[a-z]/.test(nonce);
    if (hasDigit && hasLetter && !nonce.includes(avoid)) return nonce;
  }
  throw new Error('could not draw a nonce (randomness source is not random)');
}

export function isValidNonce(nonce: string): boolean {
  return /^[a-z0-9]{8}$/.test(nonce) && /[0-9]/.test(nonce) && /[a-z]/.test(nonce);
}
