import { describe, expect, it } from 'vitest';
import type { Assign } from '@llama-orch/proto';
import { TaskSpec } from '@llama-orch/proto';
import { LeaseStore } from './lease-store.js';

const assign = (leaseId: string, taskId: string): Assign => ({
  leaseId,
  task: TaskSpec.fromPartial({ taskId, prompt: 'p', maxTokens: 4 }),
  queuePosition: 1,
  predictedStartMs: 10,
  kvWarmth: false,
});

describe('ORCH-4012: lease store', () => {
  it('ORCH-4012: a lease authorises exactly one stream for its own task', () => {
    const s = new LeaseStore();
    expect(s.accept(assign('l1', 't1')).ok).toBe(true);
    expect(s.claim(undefined, 't1')).toEqual({ ok: false, reason: 'missing' });
    expect(s.claim('nope', 't1')).toEqual({ ok: false, reason: 'unknown' });
    expect(s.claim('l1', 't2')).toEqual({ ok: false, reason: 'task_mismatch' });
    expect(s.claim('l1', 't1').ok).toBe(true);
    expect(s.claim('l1', 't1')).toEqual({ ok: false, reason: 'used' });
  });

  it('ORCH-4012: unclaimed leases expire and are then refused as expired', () => {
    let now = 0;
    const s = new LeaseStore(() => now);
    s.accept(assign('l1', 't1'));
    now = 5_000;
    expect(s.expire(10_000)).toHaveLength(0);
    now = 20_000;
    expect(s.expire(10_000).map((l) => l.leaseId)).toEqual(['l1']);
    expect(s.claim('l1', 't1')).toEqual({ ok: false, reason: 'expired' });
  });

  it('ORCH-3026: cancel reaches a running stream through onCancel', () => {
    const s = new LeaseStore();
    s.accept(assign('l1', 't1'));
    const claimed = s.claim('l1', 't1');
    if (!claimed.ok) throw new Error('claim failed');
    const got: string[] = [];
    claimed.lease.onCancel = (r) => got.push(r);
    s.cancel('l1', 'client');
    expect(got).toEqual(['client']);
    expect(s.cancel('unknown', 'x')).toBeUndefined();
  });
});
