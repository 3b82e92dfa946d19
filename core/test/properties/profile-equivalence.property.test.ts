// ORCH-3130: the default profile, built from the plugin registry with pool-wide scorers, decides
// exactly as the hard-wired per-candidate placement did. The legacy placer below is the code that
// ran before profiles existed, kept verbatim as the reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultProfile, place } from '../../src/index.js';
import type { Candidate, PlacementContext, SchedulerConfig } from '../../src/index.js';
import { buildProfile } from '../../src/scheduling/profiles.js';
import { BUILTIN_PLUGINS } from '../../src/scheduling/register.js';
import { harnessConfig, opsArb, run } from '../harness.js';

type Weights = { leastLoad: number; sessionAffinity: number; kvHeadroom: number };

/** The placer and default scorers as they were before profiles (one candidate at a time). */
function legacyPlace(w: Weights, ctx: PlacementContext, candidates: readonly Candidate[]) {
  const scorers: { score: (c: Candidate) => number; weight: number }[] = [
    { score: (c) => Math.min(1, Math.max(0, 1 - c.load)), weight: w.leastLoad },
    {
      score: (c) =>
        ctx.affinityReplicaId !== undefined && c.replicaId === ctx.affinityReplicaId ? 1 : 0,
      weight: w.sessionAffinity,
    },
    { score: (c) => Math.min(1, Math.max(0, 1 - c.kvUsageRatio)), weight: w.kvHeadroom },
  ];
  const keep = (c: Candidate): boolean =>
    c.poolId === ctx.poolId &&
    c.setKey === ctx.setKey &&
    (ctx.pinnedReplicaId === undefined || c.replicaId === ctx.pinnedReplicaId) &&
    c.ready &&
    c.eligible &&
    c.freeSlots > 0;
  const scored: { candidate: Candidate; score: number }[] = [];
  for (const candidate of candidates) {
    if (!keep(candidate)) continue;
    let score = 0;
    for (const { score: f, weight } of scorers) {
      const s = f(candidate);
      score += weight * (s > 1 ? 1 : s < 0 || Number.isNaN(s) ? 0 : s);
    }
    scored.push({ candidate, score });
  }
  let best: { candidate: Candidate; score: number } | undefined;
  for (const s of scored) {
    if (
      best === undefined ||
      s.score > best.score ||
      (s.score === best.score && s.candidate.replicaId < best.candidate.replicaId)
    ) {
      best = s;
    }
  }
  return best?.candidate;
}

// Mostly feasible candidates (each field is usually the passing value), so most samples give the
// scorers several candidates to rank; the rest exercise the filters.
const usually = <T>(pass: T, fail: T): fc.Arbitrary<T> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(pass) },
    { weight: 1, arbitrary: fc.constant(fail) },
  );

const candidateArb: fc.Arbitrary<Candidate> = fc.record({
  replicaId: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'),
  poolId: usually('p', 'q'),
  setKey: usually('S', 'T'),
  ready: usually(true, false),
  eligible: usually(true, false),
  freeSlots: usually(1, 0),
  slotsTotal: fc.integer({ min: 1, max: 3 }),
  load: fc.oneof(fc.constantFrom(0, 0.25, 0.5, 1), fc.double({ min: -0.5, max: 1.5 })),
  kvUsageRatio: fc.oneof(fc.constantFrom(0, 0.5), fc.double({ min: -0.5, max: 1.5 })),
});

const candidatesArb = fc.uniqueArray(candidateArb, {
  maxLength: 10,
  selector: (c) => c.replicaId,
});

const ctxArb: fc.Arbitrary<PlacementContext> = fc.record({
  taskId: fc.constant('t'),
  poolId: fc.constant('p'),
  setKey: fc.constant('S'),
  affinityReplicaId: fc.option(fc.constantFrom('r1', 'r2', 'r3', 'r9'), { nil: undefined }),
  pinnedReplicaId: fc.option(fc.constantFrom('r1', 'r4'), { nil: undefined, freq: 8 }),
});

const weightsArb: fc.Arbitrary<Weights> = fc.oneof(
  fc.constant({ leastLoad: 1, sessionAffinity: 2, kvHeadroom: 0.25 }),
  fc.record({
    leastLoad: fc.double({ min: 0, max: 4, noNaN: true }),
    sessionAffinity: fc.double({ min: 0, max: 4, noNaN: true }),
    kvHeadroom: fc.double({ min: 0, max: 4, noNaN: true }),
  }),
);

describe('ORCH-3130: the default profile reproduces the hard-wired placement', () => {
  it('ORCH-3130: same choice as the legacy placer on random candidates, weights and contexts', () => {
    fc.assert(
      fc.property(
        fc.array(candidateArb, { maxLength: 10 }),
        ctxArb,
        weightsArb,
        (cands, ctx, w) => {
          const want = legacyPlace(w, ctx, cands);
          const built = buildProfile(
            {
              name: 'mirror',
              plugins: [
                { type: 'least-load', weight: w.leastLoad },
                { type: 'session-affinity', weight: w.sessionAffinity },
                { type: 'kv-headroom', weight: w.kvHeadroom },
              ],
            },
            BUILTIN_PLUGINS,
          );
          // Same object, not merely the same id: the decision is the identical candidate.
          return place(defaultProfile(w), ctx, cands) === want && place(built, ctx, cands) === want;
        },
      ),
      { numRuns: 3000 },
    );
    // The comparison can fail: a profile that ignores load picks differently somewhere.
    const kvOnly = buildProfile(
      { name: 'kv', plugins: [{ type: 'kv-headroom' }] },
      BUILTIN_PLUGINS,
    );
    const w = { leastLoad: 1, sessionAffinity: 2, kvHeadroom: 0.25 };
    const samples = fc.sample(fc.tuple(candidatesArb, ctxArb), {
      numRuns: 500,
      seed: 7,
    });
    const differ = samples.filter(([c, ctx]) => place(kvOnly, ctx, c) !== legacyPlace(w, ctx, c));
    expect(differ.length).toBeGreaterThan(0);
  });

  it('ORCH-3130: a pool naming an equivalent profile from config gives byte-identical scheduler output', () => {
    const mirrored = (): SchedulerConfig => {
      const c = harnessConfig();
      return {
        ...c,
        pools: c.pools.map((p) => ({ ...p, placementProfile: 'mirror' })),
        placement: {
          profiles: [
            {
              name: 'mirror',
              plugins: [
                { type: 'least-load', weight: 1 },
                { type: 'session-affinity', weight: 2 },
                { type: 'kv-headroom', weight: 0.25 },
                { type: 'max-score' },
              ],
            },
          ],
        },
      };
    };
    fc.assert(
      fc.property(opsArb, (ops) => {
        const a = run(ops);
        const b = run(ops, mirrored());
        return JSON.stringify(a.outputs) === JSON.stringify(b.outputs);
      }),
      { numRuns: 300 },
    );
  });
});
