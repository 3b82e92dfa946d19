// A prefix cache like an engine's KV reuse: prompts are stored in blocks; a new prompt's longest
// shared block-aligned prefix with any cached prompt needs no prefill. Bounded, LRU.
export class PrefixCache {
  private entries: number[][] = [];

  constructor(
    private readonly blockSize: number,
    private readonly capacity: number,
  ) {}

  /** Tokens of `prompt` already cached (block-aligned); marks the entry recently used. */
  lookup(prompt: readonly number[]): number {
    let best = 0;
    let bestIdx = -1;
    this.entries.forEach((e, idx) => {
      let n = 0;
      const max = Math.min(e.length, prompt.length);
      while (n < max && e[n] === prompt[n]) n++;
      if (n > best) {
        best = n;
        bestIdx = idx;
      }
    });
    if (bestIdx >= 0) {
      const [hit] = this.entries.splice(bestIdx, 1);
      if (hit) this.entries.push(hit);
    }
    // The last prompt token is always recomputed, as engines do to produce logits.
    const usable = Math.min(best, prompt.length - 1);
    return Math.max(0, Math.floor(usable / this.blockSize) * this.blockSize);
  }

  insert(prompt: readonly number[]): void {
    if (this.capacity <= 0 || prompt.length === 0) return;
    this.entries.push([...prompt]);
    while (this.entries.length > this.capacity) this.entries.shift();
  }

  clear(): void {
    this.entries = [];
  }

  get size(): number {
    return this.entries.length;
  }
}
