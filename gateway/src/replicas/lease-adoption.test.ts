import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/support/harness.js';
import { adoptReportedLeases } from './lease-adoption.js';

describe('ORCH-4031: re-reported leases', () => {
  it('ORCH-4031: a lease of a task the journal saw end, or one core refuses, is canceled on the sidecar, not adopted', () => {
    const h = createHarness();
    const call = h.connect();
    const record = h.registry.get('r1');
    if (!record) throw new Error('not registered');
    const warned: string[] = [];
    const adopted: string[] = [];
    const report = adoptReportedLeases(
      {
        ...record,
        register: {
          ...record.register,
          activeLeases: [
            { leaseId: 'old-1', taskId: 'ended' },
            { leaseId: 'old-2', taskId: 'alive' },
            // The same task under a second lease: core refuses it, and only the sidecar can end it.
            { leaseId: 'old-3', taskId: 'alive' },
          ],
        },
      },
      {
        core: h.core,
        registry: h.registry,
        ended: (taskId) => taskId === 'ended',
        adopted: (taskId) => adopted.push(taskId),
        log: { info: () => undefined, warn: (_o: object, msg: string) => warned.push(msg) },
      },
    );
    expect(report).toEqual({ adopted: 1, canceled: 1, refused: 1 });
    expect(call.commands('cancel')).toEqual([
      { leaseId: 'old-1', taskId: 'ended', reason: 'task_ended' },
      { leaseId: 'old-3', taskId: 'alive', reason: 'lease_refused' },
    ]);
    expect(adopted).toEqual(['alive']);
    expect(h.core.task('ended')).toBeUndefined();
    expect(h.core.task('alive')?.state).toBe('running');
    expect(warned).toEqual([
      'control: re-reported lease of an ended task canceled',
      'control: re-reported lease refused and canceled',
    ]);
    h.close();
  });
});
