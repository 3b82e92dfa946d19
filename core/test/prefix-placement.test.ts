// ORCH-3130/3131/3132: profiles chosen per pool from config; the prefix-cache scorer prefers the
// replica holding the longest prompt prefix, yields to load, and forgets a replica's blocks when its
// engine state is gone; bad profiles are INVALID_PARAMS; an out-of-service scorer falls back.
import { describe, expect, it } from 'vitest';
import { CoreError, Scheduler } from '../src/index.js';
import type { PluginFactory, SchedulerConfig } from '../src/index.js';
import { PrefixCacheScorer, blockHashes } from '../src/scheduling/scorers/prefix-cache.js';
import { baseConfig, manualClock, placementFleet, replica, spec } from './fixtures.js';

const SYSTEM = 'You are a careful assistant. '.repeat(20); // 580 chars: 9 blocks of 64

function prefixConfig(
  plugins = [
    { type: 'prefix-cache', weight: 2 },
    { type: 'least-load', weight: 1 },
  ],
): SchedulerConfig {
  const c = baseConfig();
  return {
    ...c,
    pools: c.pools.map((p) => ({ ...p, placementProfile: 'prefix' })),
    placement: { profiles: [{ name: 'prefix', plugins }] },
  };
}

function fleet(config: SchedulerConfig, plugins?: Record<string, PluginFactory>) {
  return placementFleet(config, {
    ids: ['r0', 'r1', 'r2', 'r3'],
    slots: 4,
    ...(plugins ? { plugins } : {}),
  });
}

describe('ORCH-3131: prefix-cache-aware placement', () => {
  it('ORCH-3131: a prompt sharing a prefix goes to the replica holding it, even when another is idler', () => {
    const { send, finish } = fleet(prefixConfig());
    const first = send(`${SYSTEM}turn one`);
    // The holder keeps that lease (load 0.25); least-load alone would now pick an idle replica.
    const second = send(`${SYSTEM}turn two, a different question`);
    expect(second.replicaId).toBe(first.replicaId);
    // An unrelated prompt goes by load, away from the (now busier) holder.
    const other = send('Something else entirely. '.repeat(10));
    expect(other.replicaId).not.toBe(first.replicaId);
    finish(first.leaseId);
  });

  it('ORCH-3131: a hot prefix spreads once its holder is max_load_gap busier than the idlest', () => {
    const { send } = fleet(prefixConfig());
    const placed = [0, 1, 2, 3].map((i) => send(`${SYSTEM}question ${i}`).replicaId);
    // Two leases make the holder 50 % busier than idle replicas (the default gap): the third goes
    // elsewhere.
    expect(placed.slice(0, 2)).toEqual([placed[0], placed[0]]);
    expect(placed[2]).not.toBe(placed[0]);
    // The new holder now has the prefix too and takes the next one.
    expect(placed[3]).toBe(placed[2]);
  });

  it('ORCH-3131: when every replica is equally busy (at the knee) the prefix decides', () => {
    const { send } = fleet(prefixConfig());
    const holder = send(`${SYSTEM}first`).replicaId;
    // Fill the others to the holder's load, then more: equal load everywhere, the prefix wins.
    for (let i = 0; i < 3; i++) send(`unrelated prompt number ${i} `.repeat(8));
    expect(send(`${SYSTEM}second`).replicaId).toBe(holder);
  });

  it('ORCH-3131: a replica that restarts, reloads, drains or leaves is forgotten', () => {
    const events: [string, (s: Scheduler, id: string) => void][] = [
      [
        'restart (unready)',
        (s, id) => s.upsertReplica(replica(id, { ready: false, slots_total: 4, slots_free: 4 })),
      ],
      [
        'reload (new model digest)',
        (s, id) =>
          s.upsertReplica(
            replica(id, { model_digest: 'sha256:bb', slots_total: 4, slots_free: 4 }),
          ),
      ],
      ['drain', (s, id) => s.drainReplica(id, 1000)],
      ['removal', (s, id) => s.removeReplica(id)],
    ];
    for (const [what, event] of events) {
      const { sched, send, finish } = fleet(prefixConfig());
      const first = send(`${SYSTEM}turn one`);
      finish(first.leaseId);
      event(sched, first.replicaId);
      // Back in service with nothing cached (drain lifted; the same identity reports again).
      sched.undrainReplica(first.replicaId);
      sched.upsertReplica(replica(first.replicaId, { slots_total: 4, slots_free: 4 }));
      // Give the old holder a lease so load alone would avoid it; without the prefix it loses.
      const busy = send('filler '.repeat(3));
      const next = send(`${SYSTEM}turn two`);
      expect(busy.replicaId, what).toBe('r0');
      expect(next.replicaId, what).toBe('r1');
    }
  });

  it('ORCH-3131: each replica remembers a bounded number of blocks (LRU)', () => {
    const scorer = new PrefixCacheScorer({
      blockChars: 4,
      blocksPerReplica: 3,
      maxBlocks: 100,
      maxLoadGap: 1,
    });
    const ctx = {
      taskId: 't',
      poolId: 'p',
      setKey: 'S',
      affinityReplicaId: undefined,
      prompt: 'aaaabbbbccccdddd',
    };
    scorer.placed(ctx, 'r1');
    expect(scorer.heldBlocks('r1')).toBe(3);
    // The oldest (first) block was evicted, so no leading block matches any more.
    expect(scorer.matched('r1', blockHashes(ctx.prompt, 'raw', 4, 100))).toBe(0);
    expect(blockHashes('aaaabbbb', 'raw', 4, 100)).toEqual(
      blockHashes('aaaabbbbcc', 'raw', 4, 100),
    );
    expect(blockHashes('aaaabbbb', 'chat', 4, 100)[0]).not.toBe(
      blockHashes('aaaabbbb', 'raw', 4, 100)[0],
    );
  });

  it('ORCH-3131: the same call sequence gives the same placements (deterministic)', () => {
    const trace = (): string[] => {
      const { send, finish } = fleet(prefixConfig());
      const out: string[] = [];
      for (let i = 0; i < 40; i++) {
        const r = send(`${i % 3 === 0 ? SYSTEM : 'x'.repeat(200)}q${i % 5}`);
        out.push(r.replicaId);
        if (i % 3 !== 0) finish(r.leaseId);
      }
      return out;
    };
    expect(trace()).toEqual(trace());
  });
});

describe('ORCH-3130/ORCH-3132: profiles in config', () => {
  const bad: [string, SchedulerConfig][] = [
    ['unknown plugin type', prefixConfig([{ type: 'no-such-scorer', weight: 1 }])],
    ['negative weight', prefixConfig([{ type: 'least-load', weight: -1 }])],
    [
      'weight on a picker',
      prefixConfig([
        { type: 'least-load', weight: 1 },
        { type: 'max-score', weight: 1 },
      ]),
    ],
    [
      'params a plugin does not take',
      prefixConfig([{ type: 'least-load', weight: 1, params: { x: 1 } } as never]),
    ],
    [
      'bad prefix params',
      prefixConfig([{ type: 'prefix-cache', weight: 1, params: { block_chars: 0 } } as never]),
    ],
    ['no scorer', prefixConfig([{ type: 'max-score' } as never])],
    [
      'unknown profile',
      {
        ...baseConfig(),
        pools: baseConfig().pools.map((p) => ({ ...p, placementProfile: 'nope' })),
      },
    ],
  ];
  for (const [what, config] of bad) {
    it(`ORCH-3130: ${what} is INVALID_PARAMS`, () => {
      let caught: unknown;
      try {
        new Scheduler({ config, clock: () => 0 });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CoreError);
      expect((caught as CoreError).code).toBe('INVALID_PARAMS');
    });
  }

  it('ORCH-3132: kv-utilization and queue-depth steer by the load reports', () => {
    const config = prefixConfig([
      { type: 'kv-utilization', weight: 1 },
      { type: 'queue-depth', weight: 1 },
    ]);
    const clock = manualClock();
    const sched = new Scheduler({ config, clock: clock.read });
    sched.upsertReplica(
      replica('r0', { slots_total: 4, slots_free: 4, kv_usage_ratio: 0.9, queue_depth: 0 }),
    );
    sched.upsertReplica(
      replica('r1', { slots_total: 4, slots_free: 4, kv_usage_ratio: 0.1, queue_depth: 3 }),
    );
    sched.upsertReplica(
      replica('r2', { slots_total: 4, slots_free: 4, kv_usage_ratio: 0.2, queue_depth: 0 }),
    );
    sched.admit(spec('a'), 'tenant');
    sched.attach('a');
    expect(sched.dispatch(1).dispatches[0]?.replicaId).toBe('r2');
  });

  it('ORCH-3130: a scorer out of service hands the decision to the default profile', () => {
    let calls = 0;
    const plugins: Record<string, PluginFactory> = {
      flaky: {
        kind: 'scorer',
        create: () => ({
          name: 'flaky',
          // Prefers the highest id while in service; then reports itself out of service.
          score: (_ctx, cands) =>
            calls++ === 0 ? cands.map((c) => (c.replicaId === 'r3' ? 1 : 0)) : undefined,
        }),
      },
    };
    const { send } = fleet(prefixConfig([{ type: 'flaky', weight: 1 }]), plugins);
    expect(send('one').replicaId).toBe('r3');
    // Default profile: least loaded, smallest id.
    expect(send('two').replicaId).toBe('r0');
  });
});
