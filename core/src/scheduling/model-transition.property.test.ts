import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MODEL, replica, scheduler, spec } from '../../test/fixtures.js';
import type { ReplicaState } from '../types.js';

// A reload under random interleavings: replicas flap between the old model (A) and the target
// (B), get drained and undrained, transitions begin and end (commit or abort), tasks naming
// either ref arrive, dispatch and finish.
const B = 'hf:test/model-b';
const ident = {
  a: { model_ref: MODEL, model_digest: 'sha256:aa' },
  b: { model_ref: B, model_digest: 'sha256:bb' },
};

type Op =
  | { k: 'report'; r: number; model: 'a' | 'b'; ready: boolean }
  | { k: 'drain'; r: number }
  | { k: 'undrain'; r: number }
  | { k: 'begin' }
  | { k: 'canary'; share: number | undefined }
  | { k: 'end'; commit: boolean }
  | { k: 'admit'; model: 'a' | 'b' }
  | { k: 'dispatch' }
  | { k: 'finish'; n: number }
  | { k: 'remove'; r: number };

const r4 = fc.nat(3);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('report' as const),
      r: r4,
      model: fc.constantFrom('a' as const, 'b' as const),
      ready: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('drain' as const), r: r4 }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('undrain' as const), r: r4 }) },
  { weight: 1, arbitrary: fc.constant({ k: 'begin' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('canary' as const),
      share: fc.option(fc.double({ min: 0.05, max: 0.95, noNaN: true }), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('end' as const), commit: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('admit' as const),
      model: fc.constantFrom('a' as const, 'b' as const),
    }),
  },
  { weight: 4, arbitrary: fc.constant({ k: 'dispatch' as const }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('finish' as const), n: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('remove' as const), r: r4 }) },
);

describe('ORCH-3031/ORCH-3007: a pool model transition under random interleavings', () => {
  it('ORCH-3031/ORCH-3033: nothing is dispatched to a drained replica, every dispatch goes to the serving set (or, during a canary split, a set) of an identity the pool accepts, and every task ends once', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 100 }), (ops) => {
        const { sched } = scheduler();
        const reported = new Map<string, ReplicaState>();
        const drained = new Set<string>();
        const leases: string[] = [];
        const accepted: string[] = [];
        const ended = new Map<string, number>();
        const violations: string[] = [];
        let n = 0;
        const end = (ids: readonly string[]): void => {
          for (const id of ids) ended.set(id, (ended.get(id) ?? 0) + 1);
        };
        const report = (st: ReplicaState): void => {
          reported.set(st.replica_id, st);
          sched.upsertReplica(st);
        };
        const dispatch = (): void => {
          const batch = sched.dispatch();
          end(batch.terminal.map((e) => e.taskId));
          const model = sched.poolModel('pool-a');
          const serving = sched.snapshot().servingSets.find((s) => s.poolId === 'pool-a');
          for (const d of batch.dispatches) {
            const st = reported.get(d.replicaId);
            if (drained.has(d.replicaId)) violations.push(`dispatch to drained ${d.replicaId}`);
            // ORCH-3033: a canary split places on either identity's set, one set per task.
            if (!model?.canary && d.replicaSetKey !== serving?.replicaSetKey)
              violations.push('dispatch outside the serving set');
            if (st && d.replicaSetKey.split('|')[2] !== st.model_digest)
              violations.push(`dispatch of ${d.taskId} to a set of another digest`);
            const ok =
              st?.model_ref === model?.modelRef || st?.model_ref === model?.transition?.modelRef;
            if (!ok) violations.push(`dispatch to ${d.replicaId} serving ${st?.model_ref}`);
            leases.push(d.leaseId);
          }
        };
        report(replica('r0'));
        report(replica('r1'));
        for (const op of ops) {
          const id = `r${'r' in op ? op.r : 0}`;
          switch (op.k) {
            case 'report':
              report(replica(id, { ...ident[op.model], ready: op.ready }));
              break;
            case 'drain':
              if (sched.drainReplica(id, 0).ok) drained.add(id);
              break;
            case 'undrain':
              sched.undrainReplica(id);
              drained.delete(id);
              break;
            case 'begin':
              sched.beginModelTransition('pool-a', { modelRef: B, modelDigest: 'sha256:bb' });
              break;
            case 'canary':
              sched.setCanaryShare('pool-a', op.share);
              break;
            case 'end':
              sched.endModelTransition('pool-a', op.commit, 0);
              break;
            case 'admit': {
              const task = `t${n++}`;
              const model = sched.poolModel('pool-a');
              const ref = op.model === 'a' ? model?.modelRef : (model?.transition?.modelRef ?? B);
              const r = sched.admit(spec(task, { model_ref: ref ?? MODEL }), 'default');
              if (r.ok) {
                accepted.push(task);
                end(r.dropped?.map((e) => e.taskId) ?? []);
                sched.attach(task);
              }
              break;
            }
            case 'dispatch':
              dispatch();
              break;
            case 'finish': {
              const lease = leases.splice(op.n % Math.max(1, leases.length), 1)[0];
              if (lease) {
                const res = sched.leaseFinished(lease, { reason: 'stop' });
                if (res.ok && res.terminal) end([res.terminal.taskId]);
              }
              break;
            }
            case 'remove': {
              const res = sched.removeReplica(id);
              end(res.terminal.map((e) => e.taskId));
              reported.delete(id);
              break;
            }
          }
        }
        // Quiesce: the reload ends, every replica is back and Ready, leases finish.
        sched.endModelTransition('pool-a', false);
        const now = sched.poolModel('pool-a')?.modelRef === B ? ident.b : ident.a;
        for (const id of ['r0', 'r1', 'r2', 'r3']) {
          sched.undrainReplica(id);
          drained.delete(id);
          report(replica(id, now));
        }
        for (let i = 0; i < 200 && sched.snapshot().liveTasks > 0; i++) {
          dispatch();
          for (const lease of leases.splice(0)) {
            const res = sched.leaseFinished(lease, { reason: 'stop' });
            if (res.ok && res.terminal) end([res.terminal.taskId]);
          }
          end(sched.tick().terminal.map((e) => e.taskId));
        }
        expect(violations).toEqual([]);
        expect(sched.snapshot().liveTasks).toBe(0);
        for (const id of accepted) expect(ended.get(id) ?? 0, id).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});
