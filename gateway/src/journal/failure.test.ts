import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHarness } from '../../test/support/harness.js';
import { taskRequest } from '../../test/support/sidecar-messages.js';
import { TaskService } from '../services/tasks.js';
import { AdmissionJournal } from './journal.js';

const TASK = '11111111-1111-4111-8111-111111111111';

describe('ORCH-4030: a journal that cannot write', () => {
  it('ORCH-4030: admission answers a retriable POOL_UNAVAILABLE, not a 202, and leaves no task; the retry succeeds once it can', async () => {
    const h = createHarness();
    h.connect();
    const real = new AdmissionJournal({ path: ':memory:' });
    real.replay();
    let broken = true;
    const journal: Pick<AdmissionJournal, 'admitIf' | 'heldText'> = {
      heldText: real.heldText,
      admitIf: (task, admit, accepted) => {
        if (broken) throw new Error('SQLITE_FULL: database or disk is full');
        return real.admitIf(task, admit, accepted);
      },
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
    await expect(tasks.submit(body, 'default', 'c')).rejects.toMatchObject({
      code: 'POOL_UNAVAILABLE',
      retriable: true,
    });
    expect(h.core.task(TASK)).toBeUndefined();
    broken = false;
    expect((await tasks.submit(body, 'default', 'c')).task_id).toBe(TASK);
    expect(real.isOpen(TASK)).toBe(true);
    real.close();
    h.close();
  });

  it('ORCH-4030: a failed group commit answers POOL_UNAVAILABLE and takes the admitted task back', async () => {
    const h = createHarness();
    h.connect();
    const real = new AdmissionJournal({ path: ':memory:' });
    real.replay();
    const tasks = new TaskService({
      core: h.core,
      director: h.director,
      registry: h.registry,
      metrics: h.metrics,
      log: pino({ level: 'silent' }),
      journal: {
        heldText: real.heldText,
        admitIf: (task, admit, accepted) => {
          const admitted = real.admitIf(task, admit, accepted);
          // Core admitted the task; only the commit that would make its 202 durable fails.
          return { value: admitted.value, committed: Promise.reject(new Error('SQLITE_IOERR')) };
        },
      },
    });
    await expect(
      tasks.submit(taskRequest({ task_id: TASK, max_tokens: 8 }), 'default', 'c'),
    ).rejects.toMatchObject({ code: 'POOL_UNAVAILABLE', retriable: true });
    expect(h.core.task(TASK)?.state).toBe('canceled');
    real.close();
    h.close();
  });
});
