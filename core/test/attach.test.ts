// Attachment: only attached tasks are dispatched (ORCH-4022), and tasks nobody attaches to expire
// (ORCH-4023).
import { describe, expect, it } from 'vitest';
import { baseConfig, replica, scheduler, spec } from './fixtures.js';

const longWait = { interactive: { maxWaitMs: 600_000 }, batch: { maxWaitMs: 600_000 } };

describe('ORCH-4022: only attached tasks are dispatched', () => {
  it('ORCH-4022: an unattached task keeps its place in queue_position while a later attached task runs first', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1', { slots_total: 1, slots_free: 1 }));
    const a = sched.admit(spec('a'), 'acme');
    const b = sched.admit(spec('b'), 'acme');
    expect(a.ok && a.queuePosition).toBe(0);
    expect(b.ok && b.queuePosition).toBe(1); // a counts although it is not attached
    expect(sched.dispatch().dispatches).toEqual([]);
    sched.attach('b');
    expect(sched.dispatch().dispatches.map((d) => d.taskId)).toEqual(['b']);
    expect(sched.task('a')?.state).toBe('queued');
  });

  it('ORCH-4022: a task that attaches late resumes its original order', () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1', { slots_total: 1, slots_free: 1 }));
    for (const id of ['a', 'b', 'c']) sched.admit(spec(id), 'acme');
    sched.attach('c');
    sched.attach('a');
    expect(sched.dispatch().dispatches.map((d) => d.taskId)).toEqual(['a']);
  });
});

describe('ORCH-4023: unattached tasks expire', () => {
  it('ORCH-4023: not attached within 30000 ms (default) → canceled as unattached, queue capacity freed', () => {
    const { sched, clock } = scheduler(
      baseConfig({ queues: { interactive: { capacity: 1, maxWaitMs: 600_000 } } }),
    );
    sched.upsertReplica(replica('r1', { slots_total: 1, slots_free: 0 }));
    expect(sched.admit(spec('a'), 'acme').ok).toBe(true);
    expect(sched.admit(spec('b'), 'acme').ok).toBe(false); // queue full
    clock.advance(29_999);
    expect(sched.tick().unattached).toEqual([]);
    clock.advance(1);
    const { unattached, terminal } = sched.tick();
    expect(terminal).toEqual([]);
    expect(unattached.map((e) => [e.taskId, e.state, e.reason])).toEqual([
      ['a', 'canceled', 'canceled'],
    ]);
    expect(sched.task('a')?.state).toBe('canceled');
    expect(sched.admit(spec('b'), 'acme').ok).toBe(true);
  });

  it('ORCH-4023: an attached task does not expire; attachTimeoutMs is configurable', () => {
    const { sched, clock } = scheduler(baseConfig({ queues: longWait, attachTimeoutMs: 500 }));
    sched.upsertReplica(replica('r1', { slots_total: 1, slots_free: 0 }));
    sched.admit(spec('a'), 'acme');
    sched.admit(spec('b'), 'acme');
    sched.attach('a');
    clock.advance(500);
    expect(sched.tick().unattached.map((e) => e.taskId)).toEqual(['b']);
    clock.advance(60_000);
    expect(sched.tick().unattached).toEqual([]);
    expect(sched.task('a')?.state).toBe('queued');
  });

  it('ORCH-4023: a detached task gets the full attach timeout again from the detach', () => {
    const { sched, clock } = scheduler(baseConfig({ queues: longWait, attachTimeoutMs: 1_000 }));
    sched.upsertReplica(replica('r1', { slots_total: 1, slots_free: 0 }));
    sched.admit(spec('a'), 'acme');
    sched.attach('a');
    clock.advance(900);
    sched.detach('a');
    clock.advance(900);
    expect(sched.tick().unattached).toEqual([]);
    clock.advance(100);
    expect(sched.tick().unattached.map((e) => e.taskId)).toEqual(['a']);
  });
});
