// ORCH-4023 at the gateway: an admission nobody streams is canceled by the periodic tick and
// counted under reason `unattached`.
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness } from '../../test/support/harness.js';
import { taskRequest } from '../../test/support/sidecar-messages.js';
import type { Harness } from '../../test/support/harness.js';

const TASK = '55555555-5555-4555-8555-555555555555';

describe('ORCH-4023: unattached tasks expire', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('ORCH-4023: after attach_timeout the task is canceled with reason unattached', async () => {
    h = createHarness(200, { interactive: { maxWaitMs: 600_000 } });
    h.connect({}, 0);
    h.tasks.submit(
      taskRequest({
        task_id: TASK,
        session_id: '66666666-6666-4666-8666-666666666666',
        max_tokens: 16,
      }),
      'default',
      'corr-1',
    );
    h.now.t += 29_999;
    h.director.tick();
    expect(h.core.task(TASK)?.state).toBe('queued');
    h.now.t += 1;
    h.director.tick();
    expect(h.core.task(TASK)?.state).toBe('canceled');
    expect(await h.metrics.registry.getSingleMetricAsString('tasks_canceled_total')).toMatch(
      /\{[^}]*reason="unattached"[^}]*\} 1/,
    );
  });
});
