// ORCH-3131: the placement goodput bench's own checks (virtual time, so no timing is asserted):
// the simulation is deterministic, nothing is cached on the uniform workload, and on the
// shared-prefix workload the prefix-cache profile caches more prompt tokens and serves more tasks
// within the SLO than round-robin once prefills share the engine.
import { describe, expect, it } from 'vitest';
import { DEFAULT_GOODPUT, goodput, simulate } from './goodput.js';
import type { GoodputOptions } from './goodput.js';

const o: GoodputOptions = {
  ...DEFAULT_GOODPUT,
  engine: 'serial-prefill',
  slots: 8,
  durationS: 10,
  rates: [56],
};

describe('ORCH-3131: placement goodput bench', () => {
  it('ORCH-3131: same inputs, same outcome', () => {
    const a = simulate('prefix-cache', 'shared-prefix multi-turn', 40, o);
    const b = simulate('prefix-cache', 'shared-prefix multi-turn', 40, o);
    expect(a).toEqual(b);
  });

  it('ORCH-3131: the prefix-cache profile beats round-robin on shared prefixes, not on uniform', () => {
    const rr = simulate('round-robin', 'shared-prefix multi-turn', 56, o);
    const prefix = simulate('prefix-cache', 'shared-prefix multi-turn', 56, o);
    expect(prefix.cachedShare).toBeGreaterThan(rr.cachedShare * 2);
    expect(goodput(prefix, 1000, o)).toBeGreaterThan(goodput(rr, 1000, o) * 1.5);
    expect(simulate('prefix-cache', 'uniform', 24, o).cachedShare).toBe(0);
  });
});
