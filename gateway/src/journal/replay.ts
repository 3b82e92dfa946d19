// ORCH-4030: at start, every task the journal holds as admitted and not ended is admitted again
// (restored: unattached, in its original order, with the deadline it had left), so a client that
// reconnects to its stream after the restart finds it queued. Runs before any sidecar registers;
// a task whose lease a sidecar then re-reports is adopted out of the queue (ORCH-4031).
import { CoreError } from '@llama-orch/core';
import type { AdmissionJournal } from './journal.js';

/** The part of TaskService replay needs (its admission, with `restored`). */
interface RestoringAdmission {
  admit(
    spec: Parameters<AdmissionJournal['admitted']>[0]['spec'],
    tenant: string,
    pinned: boolean,
    api: 'orchqueue' | 'openai',
    restored: boolean,
  ): unknown;
}

interface ReplayReport {
  /** Records read from the file. */
  readonly records: number;
  /** Tasks queued again. */
  readonly restored: number;
  /** Tasks whose deadline passed while placement was down (ended DEADLINE_UNMET). */
  readonly expired: number;
  /** Tasks admission refused this time (config changed: ended with that error's code). */
  readonly refused: number;
}

export function replayJournal(
  journal: AdmissionJournal,
  tasks: RestoringAdmission,
  log: { warn(obj: object, msg: string): void },
  wallNow: () => number = Date.now,
): ReplayReport {
  const replay = journal.replay();
  let restored = 0;
  let expired = 0;
  let refused = 0;
  for (const task of replay.open) {
    const id = task.spec.task_id;
    let spec = task.spec;
    const deadline = spec.deadline_ms ?? 0;
    if (deadline > 0) {
      const left = deadline - (wallNow() - task.admittedAtWall);
      if (left <= 0) {
        journal.terminal(id, { state: 'failed', code: 'DEADLINE_UNMET' });
        expired++;
        continue;
      }
      spec = { ...spec, deadline_ms: Math.ceil(left) };
    }
    try {
      tasks.admit(spec, task.tenant, task.pinned, task.api, true);
      restored++;
    } catch (error) {
      const code = error instanceof CoreError ? error.code : 'INTERNAL';
      journal.terminal(id, { state: 'failed', code });
      log.warn({ task_id: id, code, err: String(error) }, 'journal: task not restored');
      refused++;
    }
  }
  return { records: replay.records, restored, expired, refused };
}
