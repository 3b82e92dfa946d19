import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replicaSetKey } from '../../src/index.js';
import { opsArb, run } from '../harness.js';

const RUNS = 1000;

describe('ORCH-3010/ORCH-3007/ORCH-3046: placement only on Ready replicas of one replica set', () => {
  it('ORCH-3010: a dispatch never targets an unready, unknown or full replica', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const t = run(ops);
        if (t.violations.some((v) => v.startsWith('over capacity'))) return false;
        return t.dispatchReplicas.every((st) => st !== undefined && st.ready);
      }),
      { numRuns: RUNS },
    );
  });

  it('ORCH-3046: a dispatch stays inside the replica set it names, and one batch never mixes sets', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const t = run(ops);
        for (let i = 0; i < t.dispatches.length; i++) {
          const st = t.dispatchReplicas[i];
          const d = t.dispatches[i];
          if (!st || !d || replicaSetKey(st) !== d.replicaSetKey) return false;
        }
        for (const out of t.outputs) {
          if (typeof out !== 'object' || out === null || !('dispatches' in out)) continue;
          const keys = new Set(
            (out as { dispatches: { replicaSetKey: string }[] }).dispatches.map(
              (d) => d.replicaSetKey,
            ),
          );
          if (keys.size > 1) return false;
        }
        return true;
      }),
      { numRuns: RUNS },
    );
  });

  it('ORCH-3007: replicas whose identity disagrees with the pool config never serve', () => {
    const t = run([
      { k: 'remove', id: 0 },
      { k: 'remove', id: 1 },
    ]);
    t.sched.upsertReplica({
      replica_id: 'wrong-model',
      pool_id: 'pool-a',
      engine: 'llamacpp',
      engine_version: 'b1',
      model_ref: 'other-model',
      model_digest: 'sha256:0',
      sampler_profile_version: 'v1',
      canary_hash: 'c1',
      ctx_max: 4096,
      ready: true,
      slots_total: 4,
      slots_free: 4,
    });
    const r = t.sched.admit(
      {
        task_id: 'x',
        model_ref: 'hf:test/model',
        engine: 'llamacpp',
        ctx: 512,
        priority: 'interactive',
        max_tokens: 8,
      },
      'acme',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('POOL_UNREADY');
    expect(t.sched.snapshot().replicas.find((x) => x.replicaId === 'wrong-model')?.ready).toBe(
      false,
    );
  });
});
