// tick(): everything that ends because time passed. Unattached tasks expire from the head of the
// attach-order map (ORCH-4023), queue-wait timeouts scan each queue from its oldest task (admission order = time order), deadline misses pop the latest-start heap, and idle
// sessions expire from the head of the activity-ordered session map. Cost is O(expired).
import { CoreError } from '../errors.js';
import { attachDeadline } from '../state.js';
import type { CoreState } from '../state.js';
import { PRIORITIES } from '../types.js';
import type { TerminalEvent, TickResult } from '../types.js';

/** ORCH-4023: cancel queued tasks whose client did not attach in time (oldest first). */
function expireUnattached(s: CoreState, now: number): TerminalEvent[] {
  const canceled: TerminalEvent[] = [];
  for (let task = s.unattached.head; task; task = s.unattached.head) {
    if (attachDeadline(s, task) > now) break;
    s.unattached.delete(task);
    if (task.attached || task.state !== 'queued') continue;
    const ev = s.finish(task, 'cancel', 'canceled');
    if (ev) canceled.push(ev);
  }
  return canceled;
}

export function tick(s: CoreState): TickResult {
  const now = s.now();
  const unattached = expireUnattached(s, now);
  const terminal: TerminalEvent[] = [];
  for (const pool of s.poolList) {
    for (const priority of PRIORITIES) {
      const lane = pool.lanes[priority];
      const maxWait = pool.config.queues[priority].maxWaitMs;
      while (lane.arrivals.head && lane.arrivals.head.admittedAt + maxWait <= now) {
        const task = lane.arrivals.head;
        const ev = s.finish(
          task,
          'expire',
          'error',
          new CoreError('REPLICA_EXHAUSTED', `no replica became free within ${maxWait} ms`, {
            engine: task.spec.engine,
            retryAfterMs: pool.meanServiceMs,
            policyLabel: 'queue.wait_timeout',
          }),
        );
        if (!ev) break;
        terminal.push(ev);
      }
    }
  }
  for (
    let task = s.deadlineHeap.peek();
    task?.deadline && task.deadline.latestStart < now;
    task = s.deadlineHeap.peek()
  ) {
    const ev = s.finish(
      task,
      'expire',
      'error',
      new CoreError('DEADLINE_UNMET', 'deadline can no longer be met', {
        engine: task.spec.engine,
        policyLabel: 'deadline.expired',
      }),
    );
    if (!ev) break;
    terminal.push(ev);
  }
  return { terminal, unattached, expiredSessions: s.sessions.expire(now) };
}
