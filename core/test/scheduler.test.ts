// Facade behaviour, one example per requirement the spec states.
import { describe, expect, it } from 'vitest';
import { injectSeed } from '../src/index.js';
import { MODEL, baseConfig, manualClock, replica, scheduler, spec } from './fixtures.js';

function admitAttach(sched: ReturnType<typeof scheduler>['sched'], id: string, extra = {}): void {
  const r = sched.admit(spec(id, extra), 'acme');
  if (!r.ok) throw r.error;
  sched.attach(id);
}

describe('ORCH-4005/ORCH-3010: dispatch', () => {
  it('ORCH-4005: only attached tasks are dispatched; detach takes a task back out', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1', { slots_total: 4, slots_free: 4 }));
    sched.admit(spec('a'), 'acme');
    sched.admit(spec('b'), 'acme');
    expect(sched.dispatch().dispatches).toEqual([]);
    sched.attach('b');
    sched.attach('a');
    sched.detach('a');
    expect(sched.dispatch().dispatches.map((d) => d.taskId)).toEqual(['b']);
    expect(sched.task('a')?.state).toBe('queued');
  });

  it('ORCH-3010: nothing is dispatched to a replica before it is Ready', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1', { ready: true }));
    admitAttach(sched, 'a');
    sched.upsertReplica(replica('r1', { ready: false }));
    expect(sched.dispatch().dispatches).toEqual([]);
    sched.upsertReplica(replica('r1', { ready: true }));
    expect(sched.dispatch().dispatches.map((d) => d.replicaId)).toEqual(['r1']);
  });

  it('ORCH-3091: the dispatched spec carries the injected seed and default sampler profile', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    admitAttach(sched, 'a');
    const d = sched.dispatch().dispatches[0];
    expect(d?.task.seed).toBe(injectSeed('a'));
    expect(d?.task.sampler_profile_version).toBe('v1');
    expect(d?.leaseId).toBe('lease-1');
  });

  it("ORCH-3102: the dispatched spec carries the pool's prompt format (raw when unset)", () => {
    for (const promptFormat of ['chat', 'raw', undefined] as const) {
      const pool = { id: 'pool-a', engine: 'llamacpp', modelRef: MODEL, ctxMax: 4096 } as const;
      const { sched } = scheduler(
        baseConfig({ pools: [{ ...pool, ...(promptFormat ? { promptFormat } : {}) }] }),
      );
      sched.upsertReplica(replica('r1'));
      admitAttach(sched, 'a');
      expect(sched.dispatch().dispatches[0]?.task.prompt_format).toBe(promptFormat ?? 'raw');
    }
  });

  it('ORCH-3102: a caller that renders the prompt itself (OpenAI routes) admits it raw in a chat pool', () => {
    const pool = { id: 'pool-a', engine: 'llamacpp', modelRef: MODEL, ctxMax: 4096 } as const;
    const { sched } = scheduler(baseConfig({ pools: [{ ...pool, promptFormat: 'chat' }] }));
    sched.upsertReplica(replica('r1'));
    const r = sched.admit(spec('a'), 'acme', { promptFormat: 'raw' });
    if (!r.ok) throw r.error;
    sched.attach('a');
    expect(sched.dispatch().dispatches[0]?.task.prompt_format).toBe('raw');
  });

  it('ORCH-3008: least-loaded Ready replica first, ties by replica_id', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r2', { slots_total: 2, slots_free: 2 }));
    sched.upsertReplica(replica('r1', { slots_total: 2, slots_free: 2 }));
    for (const id of ['a', 'b', 'c']) admitAttach(sched, id);
    expect(sched.dispatch().dispatches.map((d) => d.replicaId)).toEqual(['r1', 'r2', 'r1']);
  });

  it('ORCH-3019: a fresh heartbeat reporting fewer free slots than our leases explain is trusted', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1', { slots_total: 2, slots_free: 0 }));
    admitAttach(sched, 'a');
    expect(sched.dispatch().dispatches).toEqual([]);
    sched.upsertReplica(replica('r1', { slots_total: 2, slots_free: 1 }));
    expect(sched.dispatch().dispatches).toHaveLength(1);
  });
});

describe('ORCH-3029: queue_position and predicted_start_ms from real state', () => {
  it('ORCH-3029: position counts tasks ahead; predicted start grows in waves of observed service time', () => {
    const { sched, clock } = scheduler(
      baseConfig({ serviceTime: { firstTokenMs: 50, msPerToken: 1, alpha: 1 } }),
    );
    sched.upsertReplica(replica('r1', { slots_total: 1, slots_free: 1 }));
    const a = sched.admit(spec('a'), 'acme');
    expect(a.ok && [a.queuePosition, a.predictedStartMs]).toEqual([0, 0]);
    sched.attach('a');
    const d = sched.dispatch().dispatches[0];
    sched.leaseStarted(d?.leaseId ?? '');
    clock.advance(400);
    sched.leaseFinished(d?.leaseId ?? '', {
      reason: 'stop',
      firstTokenMs: 100,
      decodeTimeMs: 300,
      tokensOut: 10,
    });
    admitAttach(sched, 'busy');
    sched.dispatch();
    const b = sched.admit(spec('b'), 'acme');
    const c = sched.admit(spec('c'), 'acme');
    // Observed service 400 ms (alpha 1): b waits one wave, c two.
    expect(b.ok && [b.queuePosition, b.predictedStartMs]).toEqual([0, 400]);
    expect(c.ok && [c.queuePosition, c.predictedStartMs]).toEqual([1, 800]);
    const batch = sched.admit(spec('d', { priority: 'batch' }), 'acme');
    expect(batch.ok && batch.queuePosition).toBe(2); // behind both interactive tasks
  });
});

describe('ORCH-3009/ORCH-3021: sessions', () => {
  it('ORCH-3009: a session stays on its last replica (kv_warmth=true); failover reports kv_warmth=false', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1', { slots_total: 2, slots_free: 2 }));
    sched.upsertReplica(replica('r2', { slots_total: 2, slots_free: 2 }));
    admitAttach(sched, 'a', { session_id: 's' });
    const d1 = sched.dispatch().dispatches[0];
    expect([d1?.replicaId, d1?.kvWarmth]).toEqual(['r1', false]);
    sched.leaseFinished(d1?.leaseId ?? '', { reason: 'stop', tokensIn: 2, tokensOut: 8 });
    // Load r1 so least-load alone would pick r2.
    admitAttach(sched, 'x', { session_id: 'other' });
    expect(sched.dispatch().dispatches[0]?.replicaId).toBe('r1');
    admitAttach(sched, 'b', { session_id: 's' });
    const d2 = sched.dispatch().dispatches[0];
    expect([d2?.replicaId, d2?.kvWarmth]).toEqual(['r1', true]);
    sched.leaseFinished(d2?.leaseId ?? '', { reason: 'stop' });
    sched.removeReplica('r1');
    admitAttach(sched, 'c', { session_id: 's' });
    const d3 = sched.dispatch().dispatches[0];
    expect([d3?.replicaId, d3?.kvWarmth]).toEqual(['r2', false]);
  });

  it('ORCH-3021: sessions expire after the idle TTL or reset after max turns', () => {
    const clock = manualClock();
    const { sched } = scheduler(baseConfig({ sessions: { ttlMs: 1000, maxTurns: 2 } }), clock);
    sched.upsertReplica(replica('r1'));
    const turn = (id: string): void => {
      admitAttach(sched, id, { session_id: 's' });
      const d = sched.dispatch().dispatches[0];
      sched.leaseFinished(d?.leaseId ?? '', { reason: 'stop', tokensIn: 1, tokensOut: 1 });
    };
    turn('a');
    turn('b');
    expect(sched.session('acme', 's')?.turns).toBe(2);
    turn('c'); // third turn starts a fresh session
    expect(sched.session('acme', 's')?.turns).toBe(1);
    expect(sched.session('acme', 's')?.ttlMsRemaining).toBe(1000);
    clock.advance(1000);
    expect(sched.session('acme', 's')).toBeUndefined();
    expect(sched.tick().expiredSessions).toEqual([{ tenant: 'acme', sessionId: 's' }]);
    turn('d');
    expect(sched.deleteSession('acme', 's')).toBe(true);
    expect(sched.deleteSession('acme', 's')).toBe(false);
  });
});

describe('ORCH-3017/ORCH-2003: cancel', () => {
  it('ORCH-2003: cancel is idempotent; a running task goes through cancel_requested and frees its slot', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    admitAttach(sched, 'a');
    admitAttach(sched, 'b');
    const d = sched.dispatch().dispatches[0];
    sched.leaseStarted(d?.leaseId ?? '');
    expect(sched.cancel('a')).toEqual({
      kind: 'cancel_requested',
      leaseId: 'lease-1',
      replicaId: 'r1',
    });
    expect(sched.cancel('a').kind).toBe('already_requested');
    expect(sched.dispatch().dispatches).toEqual([]); // slot still held until the sidecar confirms
    const r = sched.leaseFinished('lease-1', { reason: 'canceled' });
    expect(r.ok && r.terminal?.state).toBe('canceled');
    expect(sched.cancel('a')).toEqual({ kind: 'already_terminal', state: 'canceled' });
    expect(sched.dispatch().dispatches.map((x) => x.taskId)).toEqual(['b']);
  });

  it('ORCH-4005: a task canceled while queued answers attach with its terminal event', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    sched.admit(spec('a'), 'acme');
    const c = sched.cancel('a');
    expect(c.kind === 'canceled' && c.event.reason).toBe('canceled');
    const att = sched.attach('a');
    expect(att.ok && att.terminal?.state).toBe('canceled');
  });
});

describe('ORCH-3046/ORCH-4017: replica sets', () => {
  it('ORCH-3046: a pool serves from one replica set, sticky until that set has no Ready replica', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('old', { engine_version: 'b1' }));
    sched.upsertReplica(replica('new1', { engine_version: 'b2' }));
    sched.upsertReplica(replica('new2', { engine_version: 'b2', canary_hash: 'c1' }));
    for (const id of ['a', 'b']) admitAttach(sched, id);
    // "old" registered first and stays serving; the b2 replicas never mix in.
    expect(sched.dispatch().dispatches.map((d) => d.replicaId)).toEqual(['old']);
    sched.upsertReplica(replica('old', { engine_version: 'b1', ready: false }));
    const next = sched.dispatch().dispatches;
    expect(next.map((d) => d.replicaId)).toEqual(['new1']);
    expect(sched.snapshot().servingSets[0]?.replicaSetKey).toContain('|b2|');
  });

  it('ORCH-4017: a different canary hash is a different replica set', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1', { canary_hash: 'x' }));
    sched.upsertReplica(replica('r2', { canary_hash: 'y' }));
    const keys = new Set(sched.snapshot().replicas.map((r) => r.replicaSetKey));
    expect(keys.size).toBe(2);
    expect(sched.snapshot().replicas.filter((r) => r.serving)).toHaveLength(1);
  });
});

describe('ORCH-3081/ORCH-3077: read models', () => {
  it('ORCH-3081: deadlines_met_ratio counts a task finished in time as met', () => {
    const { sched, clock } = scheduler();
    sched.upsertReplica(replica('r1'));
    admitAttach(sched, 'a', { deadline_ms: 10_000 });
    const d = sched.dispatch().dispatches[0];
    clock.advance(500);
    sched.leaseFinished(d?.leaseId ?? '', { reason: 'stop' });
    const ratio = sched.snapshot().deadlinesMetRatio.find((x) => x.priority === 'interactive');
    expect(ratio).toEqual({ priority: 'interactive', ratio: 1, met: 1, total: 1 });
    const share = sched.snapshot().admissionShare;
    expect(share).toEqual([{ tenant: 'acme', priority: 'interactive', share: 0.05 }]);
  });
});

describe('ORCH-4007: leases re-reported after a gateway restart', () => {
  it('ORCH-4007: an adopted lease holds its slot, can be canceled, and ends through leaseFinished', () => {
    const { sched } = scheduler(baseConfig({ leasePrefix: 'boot2-' }));
    sched.upsertReplica(replica('r1', { slots_total: 1, slots_free: 1 }));
    expect(sched.adoptLease({ leaseId: 'boot1-7', taskId: 'old', replicaId: 'r1' })).toEqual({
      ok: true,
    });
    expect(sched.adoptLease({ leaseId: 'boot1-7', taskId: 'old', replicaId: 'r1' }).ok).toBe(true);
    const bad = sched.adoptLease({ leaseId: 'x', taskId: 'y', replicaId: 'ghost' });
    expect(!bad.ok && bad.error.code).toBe('NOT_FOUND');
    admitAttach(sched, 'new');
    expect(sched.dispatch().dispatches).toEqual([]); // the only slot is the adopted lease's
    expect(sched.cancel('old')).toEqual({
      kind: 'cancel_requested',
      leaseId: 'boot1-7',
      replicaId: 'r1',
    });
    const r = sched.leaseFinished('boot1-7', { reason: 'canceled' });
    expect(r.ok && r.terminal?.state).toBe('canceled');
    expect(sched.dispatch().dispatches.map((d) => d.leaseId)).toEqual(['boot2-1']);
  });
});
