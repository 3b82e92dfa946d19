// ORCH-3050 / ORCH-5007: `placement.pin_replica_id` runs a task on one named replica of its pool's
// serving replica set, never anywhere else and never outside that set (ORCH-3046/4017).
import { describe, expect, it } from 'vitest';
import type { AdmitResult, CoreError, TaskSpecInput } from '../src/index.js';
import { replica, scheduler, spec } from './fixtures.js';

function rejected(r: AdmitResult): CoreError {
  if (r.ok) throw new Error(`expected a rejection, got ${r.taskId}`);
  return r.error;
}

const pin = (replicaId: string): Partial<TaskSpecInput> => ({
  placement: { mode: 'pin', pin_pool_id: 'pool-a', pin_replica_id: replicaId },
});

function twoReplicas() {
  const h = scheduler();
  h.sched.upsertReplica(replica('r1'));
  h.sched.upsertReplica(replica('r2'));
  return h;
}

function admitAttach(sched: ReturnType<typeof scheduler>['sched'], s: TaskSpecInput): void {
  const r = sched.admit(s, 'acme');
  if (!r.ok) throw r.error;
  sched.attach(s.task_id);
}

describe('ORCH-3050: replica pin (placement.pin_replica_id)', () => {
  it('ORCH-3050: a pinned task goes to the named replica even when least-load would pick another', () => {
    const { sched } = twoReplicas();
    // Unpinned, both idle: the tie-break picks r1. Pinned to r2, it must be r2.
    admitAttach(sched, spec('a', pin('r2')));
    expect(sched.dispatch().dispatches.map((d) => d.replicaId)).toEqual(['r2']);
    admitAttach(sched, spec('b', pin('r1')));
    expect(sched.dispatch().dispatches.map((d) => d.replicaId)).toEqual(['r1']);
  });

  it('ORCH-3050: a pinned task waits for its busy replica instead of falling back to a free one', () => {
    const { sched } = twoReplicas();
    admitAttach(sched, spec('a', pin('r2')));
    const first = sched.dispatch().dispatches[0];
    expect(first?.replicaId).toBe('r2');
    admitAttach(sched, spec('b', pin('r2')));
    expect(sched.dispatch().dispatches).toEqual([]);
    sched.leaseFinished(first?.leaseId ?? '', { reason: 'stop', tokensIn: 1, tokensOut: 1 });
    expect(sched.dispatch().dispatches.map((d) => [d.taskId, d.replicaId])).toEqual([['b', 'r2']]);
  });

  it('ORCH-2013: unknown replica, or a replica pin without mode pin → INVALID_PARAMS', () => {
    const { sched } = twoReplicas();
    const unknown = rejected(sched.admit(spec('a', pin('ghost')), 'acme'));
    expect(unknown.code).toBe('INVALID_PARAMS');
    expect(unknown.policyLabel).toBe('placement.pin');
    const noMode = rejected(
      sched.admit(spec('b', { placement: { mode: 'auto', pin_replica_id: 'r1' } }), 'acme'),
    );
    expect(noMode.code).toBe('INVALID_PARAMS');
  });

  it('ORCH-2014: an unready pinned replica → POOL_UNREADY with a retry hint, even when its pool is Ready', () => {
    const { sched } = twoReplicas();
    sched.upsertReplica(replica('r2', { ready: false }));
    const e = rejected(sched.admit(spec('a', pin('r2')), 'acme'));
    expect(e.code).toBe('POOL_UNREADY');
    expect(e.retryAfterMs).toBeGreaterThan(0);
  });

  it('ORCH-3046: a pin cannot reach a replica outside the serving replica set (other canary hash)', () => {
    const { sched } = twoReplicas();
    sched.upsertReplica(replica('r3', { canary_hash: 'other' }));
    const e = rejected(sched.admit(spec('a', pin('r3')), 'acme'));
    expect(e.code).toBe('POOL_UNREADY');
    expect(e.message).toContain('serving replica set');
  });

  it('ORCH-3050: a queued pinned task whose replica turns unready ends with POOL_UNREADY, and the queue behind it moves on', () => {
    const { sched } = twoReplicas();
    admitAttach(sched, spec('hold', pin('r2')));
    expect(sched.dispatch().dispatches).toHaveLength(1);
    admitAttach(sched, spec('a', pin('r2')));
    admitAttach(sched, spec('b'));
    sched.upsertReplica(replica('r2', { ready: false }));
    const batch = sched.dispatch();
    expect(batch.terminal.map((t) => [t.taskId, t.state, t.error?.code])).toEqual([
      ['a', 'failed', 'POOL_UNREADY'],
    ]);
    expect(batch.dispatches.map((d) => [d.taskId, d.replicaId])).toEqual([['b', 'r1']]);
  });
});
