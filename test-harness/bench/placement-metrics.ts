// What the benches read from placement's /metrics: a metric family's total, and the wait until
// placement holds no lease (the previous streams' slots are free) before the next measurement.
import type { SimStack } from '../engine-sim/sim-stack.js';

export async function scrape(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return res.text();
}

/** Sum of every series of a metric family's `_sum` (or a gauge) in Prometheus text. */
export function metricSum(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Waits, polling every `everyMs` for at most `limitMs`, until placement has no lease open. */
export async function settle(stack: SimStack, everyMs: number, limitMs: number): Promise<void> {
  for (let waited = 0; waited <= limitMs; waited += everyMs) {
    if (metricSum(await scrape(`${stack.restUrl}/metrics`), 'placement_leases_active') === 0)
      return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `placement still reports open leases ${limitMs / 1000} s after the last stream ended`,
  );
}
