// ORCH-3133: the WASI policy host with real policies compiled from the SDK's AssemblyScript
// sources (tools/policy-sdk): the sample is deterministic and in range; a policy that imports,
// spins, traps, answers garbage or overruns its wall-clock budget is refused or disabled (log
// line + callback for the metric) and placement falls back to the default profile.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Scheduler } from '@llama-orch/core';
import type { Candidate, PlacementContext, ReplicaState } from '@llama-orch/core';
import { compilePolicy, policyWasmPath } from '@llama-orch/tools';
import type { PolicyName } from '@llama-orch/tools';
import { PolicyHost, PolicyLoadError } from './host.js';
import type { DisableReason } from './host.js';
import { wasmPolicyPlugin } from './plugin.js';
import { encodeSnapshot } from './snapshot.js';

const wasm = new Map<PolicyName, Uint8Array>();
beforeAll(async () => {
  // Sequential: asc is CPU-heavy and the machine is small.
  for (const name of [
    'sample',
    'misbehaving/spin',
    'misbehaving/trap',
    'misbehaving/garbage',
    'misbehaving/stateful',
    'misbehaving/clock',
  ] as const) {
    wasm.set(name, await compilePolicy(name));
  }
}, 300_000);

const policy = (name: PolicyName): Uint8Array => {
  const bytes = wasm.get(name);
  if (!bytes) throw new Error(`policy ${name} was not compiled`);
  return bytes;
};

const candidateArb: fc.Arbitrary<Candidate> = fc.record({
  replicaId: fc.constantFrom('r0', 'r1', 'r2', 'r3', 'r4'),
  poolId: fc.constant('p'),
  setKey: fc.constant('S'),
  ready: fc.constant(true),
  eligible: fc.constant(true),
  freeSlots: fc.integer({ min: 1, max: 8 }),
  slotsTotal: fc.integer({ min: 1, max: 8 }),
  load: fc.double({ min: 0, max: 1, noNaN: true }),
  kvUsageRatio: fc.double({ min: 0, max: 1, noNaN: true }),
  queueDepth: fc.nat(30),
});
const ctxArb: fc.Arbitrary<PlacementContext> = fc.record({
  taskId: fc.constant('t'),
  poolId: fc.constant('p'),
  setKey: fc.constant('S'),
  affinityReplicaId: fc.option(fc.constantFrom('r0', 'r2'), { nil: undefined }),
  priority: fc.constantFrom('interactive' as const, 'batch' as const),
  prompt: fc.string({ maxLength: 40 }),
});

function run(host: PolicyHost, ctx: PlacementContext, cands: readonly Candidate[]) {
  const snap = new Float64Array(host.capacity);
  const slots = encodeSnapshot(ctx, cands, snap);
  const out = host.decide(snap, slots, cands.length);
  return out ? Array.from(out) : undefined;
}

function disabledLog(): {
  events: { reason: DisableReason; detail: string }[];
  onDisabled: (reason: DisableReason, detail: string) => void;
} {
  const events: { reason: DisableReason; detail: string }[] = [];
  return { events, onDisabled: (reason, detail) => events.push({ reason, detail }) };
}

describe('ORCH-3133: WASI policy host', () => {
  it('ORCH-3133: the sample policy is pure and deterministic: same snapshot, same scores, all in [0,1]', () => {
    const host = new PolicyHost(policy('sample'));
    const other = new PolicyHost(policy('sample'));
    fc.assert(
      fc.property(ctxArb, fc.array(candidateArb, { minLength: 1, maxLength: 16 }), (ctx, cands) => {
        const a = run(host, ctx, cands);
        const b = run(other, ctx, cands);
        // The same host again, after other decisions in between: no state carries over.
        const c = run(host, ctx, cands);
        return (
          a !== undefined &&
          a.length === cands.length &&
          a.every((s) => s >= 0 && s <= 1) &&
          JSON.stringify(a) === JSON.stringify(b) &&
          JSON.stringify(a) === JSON.stringify(c)
        );
      }),
      { numRuns: 300 },
    );
    expect(host.disabled).toBeUndefined();
  });

  it('ORCH-3133: the sample prefers the session replica, then the least loaded', () => {
    const host = new PolicyHost(policy('sample'));
    const base = {
      poolId: 'p',
      setKey: 'S',
      ready: true,
      eligible: true,
      freeSlots: 2,
      slotsTotal: 4,
      kvUsageRatio: 0.2,
      queueDepth: 0,
    };
    const cands: Candidate[] = [
      { ...base, replicaId: 'r0', load: 0.5 },
      { ...base, replicaId: 'r1', load: 0 },
      { ...base, replicaId: 'r2', load: 0.75 },
    ];
    const ctx: PlacementContext = {
      taskId: 't',
      poolId: 'p',
      setKey: 'S',
      affinityReplicaId: 'r2',
      priority: 'interactive',
    };
    const s = run(host, ctx, cands) ?? [];
    expect(s.indexOf(Math.max(...s))).toBe(2);
    const cold = run(host, { ...ctx, affinityReplicaId: undefined }, cands) ?? [];
    expect(cold.indexOf(Math.max(...cold))).toBe(1);
  });

  it('ORCH-3133: a policy with imports (a clock) is refused at load', () => {
    expect(() => new PolicyHost(policy('misbehaving/clock'))).toThrow(PolicyLoadError);
    expect(() => new PolicyHost(policy('misbehaving/clock'))).toThrow(/imports refused/);
    // Not a policy at all: no exports.
    expect(() => new PolicyHost(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toThrow(
      PolicyLoadError,
    );
    expect(() => new PolicyHost(Uint8Array.from([1, 2, 3]))).toThrow(PolicyLoadError);
  });

  const cases: [PolicyName, DisableReason, RegExp][] = [
    ['misbehaving/spin', 'budget', /fuel exhausted/],
    ['misbehaving/trap', 'trap', /unreachable/],
    ['misbehaving/garbage', 'garbage', /not in \[0,1\]/],
  ];
  for (const [name, reason, detail] of cases) {
    it(`ORCH-3133: ${name} is disabled once (${reason}) and answers undefined from then on`, () => {
      const log = disabledLog();
      const host = new PolicyHost(policy(name), { onDisabled: log.onDisabled });
      const ctx: PlacementContext = {
        taskId: 't',
        poolId: 'p',
        setKey: 'S',
        affinityReplicaId: undefined,
      };
      const cands =
        fc.sample(fc.array(candidateArb, { minLength: 2, maxLength: 4 }), {
          numRuns: 1,
          seed: 1,
        })[0] ?? [];
      expect(run(host, ctx, cands)).toBeUndefined();
      expect(run(host, ctx, cands)).toBeUndefined();
      expect(log.events).toHaveLength(1);
      expect(log.events[0]?.reason).toBe(reason);
      expect(log.events[0]?.detail).toMatch(detail);
      expect(host.disabled?.reason).toBe(reason);
    });
  }

  it('ORCH-3133: a policy keeping state between calls cannot: memory and globals are reset', () => {
    const host = new PolicyHost(policy('misbehaving/stateful'));
    const ctx: PlacementContext = {
      taskId: 't',
      poolId: 'p',
      setKey: 'S',
      affinityReplicaId: undefined,
    };
    const cands =
      fc.sample(fc.array(candidateArb, { minLength: 3, maxLength: 3 }), {
        numRuns: 1,
        seed: 2,
      })[0] ?? [];
    for (let i = 0; i < 5; i++) expect(run(host, ctx, cands)).toEqual([0.5, 0.5, 0.5]);
  });

  it('ORCH-3133: the wall-clock budget is enforced: over budget_ms on 3 decisions in a row disables', () => {
    // A clock that moves 2 ms per reading: every decision "takes" 2 ms (no real timing involved).
    let now = 0;
    const log = disabledLog();
    const host = new PolicyHost(policy('sample'), {
      clock: () => (now += 2),
      onDisabled: log.onDisabled,
    });
    const ctx: PlacementContext = {
      taskId: 't',
      poolId: 'p',
      setKey: 'S',
      affinityReplicaId: undefined,
    };
    const cands =
      fc.sample(fc.array(candidateArb, { minLength: 2, maxLength: 2 }), {
        numRuns: 1,
        seed: 3,
      })[0] ?? [];
    expect(run(host, ctx, cands)).toBeDefined();
    expect(run(host, ctx, cands)).toBeDefined();
    expect(run(host, ctx, cands)).toBeUndefined();
    expect(log.events.map((e) => e.reason)).toEqual(['budget']);
  });
});

describe('ORCH-3133/ORCH-3130: a wasm-policy profile in the scheduler', () => {
  function replica(id: string): ReplicaState {
    return {
      replica_id: id,
      pool_id: 'pool-a',
      engine: 'llamacpp',
      engine_version: 'b1',
      model_ref: 'm',
      model_digest: 'sha256:aa',
      sampler_profile_version: 'v1',
      canary_hash: 'c1',
      ctx_max: 4096,
      ready: true,
      slots_total: 4,
      slots_free: 4,
      kv_usage_ratio: id === 'r0' ? 0.9 : 0,
    };
  }

  function placements(name: PolicyName, disabled: string[]): string[] {
    const sched = new Scheduler({
      config: {
        pools: [
          {
            id: 'pool-a',
            engine: 'llamacpp',
            modelRef: 'm',
            ctxMax: 4096,
            placementProfile: 'policy',
          },
        ],
        placement: {
          profiles: [
            {
              name: 'policy',
              plugins: [{ type: 'wasm-policy', params: { path: policyWasmPath(name) } }],
            },
          ],
        },
      },
      clock: () => 0,
      plugins: {
        'wasm-policy': wasmPolicyPlugin({
          baseDir: '/',
          onDisabled: (p, reason, detail) => disabled.push(`${p} ${reason} ${detail}`),
        }),
      },
    });
    for (const id of ['r0', 'r1', 'r2']) sched.upsertReplica(replica(id));
    const out: string[] = [];
    for (let i = 0; i < 4; i++) {
      sched.admit(
        {
          task_id: `t${i}`,
          model_ref: 'm',
          engine: 'llamacpp',
          ctx: 512,
          priority: 'interactive',
          max_tokens: 8,
          prompt: 'hi',
        },
        'tenant',
      );
      sched.attach(`t${i}`);
      out.push(sched.dispatch(1).dispatches[0]?.replicaId ?? 'none');
    }
    return out;
  }

  it('ORCH-3133: a misbehaving policy is disabled and the default profile places every task', () => {
    const disabled: string[] = [];
    // The default profile's choices: idle r1 and r2 first (r0's KV is 90 % used), then r0 (idle
    // beats a quarter-busy replica), then r1.
    expect(placements('misbehaving/trap', disabled)).toEqual(['r1', 'r2', 'r0', 'r1']);
    expect(disabled).toHaveLength(1);
    expect(disabled[0]).toMatch(/misbehaving-trap\.wasm trap/);
  });

  it('ORCH-3133: the sample policy places by its own scores (avoids the KV-full replica)', () => {
    const disabled: string[] = [];
    const placed = placements('sample', disabled);
    expect(disabled).toEqual([]);
    expect(placed).not.toContain('r0');
  });

  it('ORCH-3133: a policy file that is not a pure policy is refused when the config loads', () => {
    expect(() => placements('misbehaving/clock', [])).toThrow(/imports refused/);
  });
});
