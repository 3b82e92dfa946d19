// What the gateway knows of a live task, kept as bits of the small integer core stores with the
// task (Scheduler.setTag). Issue 19: neither an object nor a Map entry per queued task; the rest of
// TaskMeta is read from core's record when asked.
import type { Scheduler } from '@llama-orch/core';
import type { ApiLabel } from '../metrics/metrics.js';
import type { TaskMeta } from './director-types.js';

/** Admitted through the REST side and not ended yet (the tag is -1 otherwise). */
const REMEMBERED = 1;
/** ORCH-2013: placement mode pin. */
const PINNED = 2;
/** ORCH-3103: came in on the OpenAI routes. */
const OPENAI = 4;
/** ORCH-4030: its admission is in the journal, so its end is recorded there too. */
const JOURNALED = 8;

/** The tag of a task the REST side just admitted. */
export function rememberedTag(pinned: boolean, api: ApiLabel, journaled: boolean): number {
  return (
    REMEMBERED |
    (pinned ? PINNED : 0) |
    (api === 'openai' ? OPENAI : 0) |
    (journaled ? JOURNALED : 0)
  );
}

/** The tag of a task that ended: nothing is remembered of it any more. */
export const FORGOTTEN_TAG = -1;

/** What is known of a remembered task: its own bits, the rest from core's record. */
export function taskMetaOf(
  core: Pick<Scheduler, 'taskSpec'>,
  taskId: string,
): TaskMeta | undefined {
  const t = core.taskSpec(taskId);
  if (!t || t.tag < 0 || (t.tag & REMEMBERED) === 0) return undefined;
  const bits = t.tag;
  const spec = t.spec;
  return {
    engine: spec.engine,
    priority: spec.priority,
    poolId: t.poolId,
    // Read only when used: a journaled task's correlation id is read back from the journal.
    get correlationId() {
      return spec.correlation_id;
    },
    pinned: (bits & PINNED) !== 0,
    api: (bits & OPENAI) !== 0 ? 'openai' : 'orchqueue',
    journaled: (bits & JOURNALED) !== 0,
  };
}
