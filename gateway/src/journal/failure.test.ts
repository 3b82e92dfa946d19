import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/support/harness.js';
import { taskRequest } from '../../test/support/sidecar-messages.js';
import { TaskService } from '../services/tasks.js';
import { AdmissionJournal } from './journal.js';

const TASK = '11111111-1111-4111-8111-111111111111';

describe('ORCH-4030: a journal that cannot write', () => {
  it('ORCH-4030: admission answers a retriable POOL_UNAVAILABLE, not a 202, and leaves no task; the retry succeeds once it can', () => {
    const h = createHarness();
    h.connect();
    const real = new AdmissionJournal({ path: ':memory:' });
    real.replay();
    let broken = true;
    const journal: Pick<AdmissionJournal, 'admitIf' | 'isOpen'> = {
      admitIf: (task, admit, accepted) => {
        if (broken) throw new Error('SQLITE_FULL: database or disk is full');
        return real.admitIf(task, admit, accepted);
      },
      isOpen: (id) => real.isOpen(id),
    };
    const tasks = new TaskService({
      core: h.core,
      director: h.director,
      registry: h.registry,
      metrics: h.metrics,
      log: pino({ level: 'silent' }),
      journal,
    });
    const body = taskRequest({ task_id: TASK, max_tokens: 8 });
    expect(() => tasks.submit(body, 'default', 'c')).toThrow(
      expect.objectContaining({ code: 'POOL_UNAVAILABLE', retriable: true }) as Error,
    );
    expect(h.core.task(TASK)).toBeUndefined();
    broken = false;
    expect(tasks.submit(body, 'default', 'c').task_id).toBe(TASK);
    expect(real.isOpen(TASK)).toBe(true);
    real.close();
    h.close();
  });
});
