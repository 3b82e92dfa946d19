import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candidate, PlacementContext, Scorer } from './plugins.js';
import { place } from './placer.js';
import { defaultProfile } from './register.js';
import { kvHeadroom } from './scorers/kv-headroom.js';
import { kvUtilization } from './scorers/kv-utilization.js';
import { PrefixCacheScorer } from './scorers/prefix-cache.js';
import { queueDepth } from './scorers/queue-depth.js';
import { leastLoad } from './scorers/least-load.js';
import { sessionAffinity } from './scorers/session-affinity.js';

const ctx: PlacementContext = { taskId: 't', poolId: 'p', setKey: 'S', affinityReplicaId: 'r3' };

const candidateArb: fc.Arbitrary<Candidate> = fc.record({
  replicaId: fc.constantFrom('r1', 'r2', 'r3', 'r4'),
  poolId: fc.constantFrom('p', 'q'),
  setKey: fc.constantFrom('S', 'T'),
  ready: fc.boolean(),
  eligible: fc.boolean(),
  freeSlots: fc.nat(3),
  slotsTotal: fc.integer({ min: 1, max: 3 }),
  load: fc.double({ min: -0.5, max: 1.5, noNaN: true }),
  kvUsageRatio: fc.double({ min: -0.5, max: 1.5, noNaN: true }),
  queueDepth: fc.nat(20),
});

const weights = { leastLoad: 1, sessionAffinity: 2, kvHeadroom: 0.25 };

describe('ORCH-3008/ORCH-3009: placement plugins', () => {
  it('ORCH-3008/ORCH-3132: every scorer returns one value in [0,1] per candidate so weights compose', () => {
    const scorers: Scorer[] = [
      leastLoad,
      sessionAffinity,
      kvHeadroom,
      kvUtilization,
      queueDepth,
      new PrefixCacheScorer(),
    ];
    fc.assert(
      fc.property(fc.array(candidateArb, { maxLength: 8 }), (cands) =>
        scorers.every((s) => {
          const v = s.score(ctx, cands);
          return v !== undefined && v.length === cands.length && v.every((x) => x >= 0 && x <= 1);
        }),
      ),
      { numRuns: 1000 },
    );
  });

  it('ORCH-3010/ORCH-3046: the picked candidate always passes every filter and is order-independent', () => {
    fc.assert(
      fc.property(fc.array(candidateArb, { maxLength: 8 }), (cands) => {
        const unique = [...new Map(cands.map((c) => [c.replicaId, c])).values()];
        const a = place(defaultProfile(weights), ctx, unique);
        const b = place(defaultProfile(weights), ctx, [...unique].reverse());
        if (a?.replicaId !== b?.replicaId) return false;
        if (!a)
          return unique.every(
            (c) =>
              !(c.ready && c.eligible && c.freeSlots > 0 && c.setKey === 'S' && c.poolId === 'p'),
          );
        return a.ready && a.eligible && a.freeSlots > 0 && a.setKey === 'S' && a.poolId === 'p';
      }),
      { numRuns: 1000 },
    );
  });

  it('ORCH-3009: affinity outweighs load by default; equal scores go to the smallest replica_id', () => {
    const base: Candidate = {
      replicaId: 'r1',
      poolId: 'p',
      setKey: 'S',
      ready: true,
      eligible: true,
      freeSlots: 1,
      slotsTotal: 2,
      load: 0,
      kvUsageRatio: 0,
    };
    const warm = { ...base, replicaId: 'r3', load: 0.5 };
    expect(place(defaultProfile(weights), ctx, [base, warm])?.replicaId).toBe('r3');
    const cold = { ...ctx, affinityReplicaId: undefined };
    expect(
      place(defaultProfile(weights), cold, [{ ...base, replicaId: 'r2' }, base])?.replicaId,
    ).toBe('r1');
  });
});
