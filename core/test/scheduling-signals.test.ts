// ORCH-3100: each dispatch carries the scheduling signals the stream's metrics event reports.
import { describe, expect, it } from 'vitest';
import { baseConfig, replica, scheduler, spec } from './fixtures.js';

describe('ORCH-3100: dispatch carries scheduling signals', () => {
  it('ORCH-3100: queueDepth is what still waits in the task queue at dispatch', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1', { slots_total: 1, slots_free: 1 }));
    for (const id of ['a', 'b', 'c']) {
      sched.admit(spec(id), 'acme');
      sched.attach(id);
    }
    sched.admit(spec('batch-1', { priority: 'batch' }), 'acme');
    const [d] = sched.dispatch().dispatches;
    expect(d?.taskId).toBe('a');
    expect(d?.queueDepth).toBe(2); // b and c; the batch queue is another queue
  });

  it('ORCH-3100: onTimeProbability is in [0,1] for a deadline task, lower with less slack, absent without a deadline', () => {
    const { sched, clock } = scheduler(
      baseConfig({ serviceTime: { firstTokenMs: 100, msPerToken: 10 } }),
    );
    sched.upsertReplica(replica('r1', { slots_total: 3, slots_free: 3 }));
    sched.admit(spec('none'), 'acme');
    sched.admit(spec('roomy', { deadline_ms: 60_000 }), 'acme');
    sched.admit(spec('tight', { deadline_ms: 400 }), 'acme');
    for (const id of ['none', 'roomy', 'tight']) sched.attach(id);
    clock.advance(10);
    const byId = new Map(sched.dispatch().dispatches.map((d) => [d.taskId, d]));
    expect(byId.get('none')?.onTimeProbability).toBeUndefined();
    const roomy = byId.get('roomy')?.onTimeProbability ?? -1;
    const tight = byId.get('tight')?.onTimeProbability ?? -1;
    expect(roomy).toBeGreaterThan(0.99);
    expect(roomy).toBeLessThanOrEqual(1);
    expect(tight).toBeGreaterThan(0);
    expect(tight).toBeLessThan(roomy);
  });
});
