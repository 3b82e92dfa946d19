// ORCH-3017/3026/2029: the task lifecycle as one transition table. Every state change in core goes
// through `transition`, and terminal states have no exits, so a task can reach a terminal state at
// most once; the facade guarantees it reaches one (tick, cancel, lease events, replica loss).
//
//   queued ──dispatch──▶ dispatched ──start──▶ running ──end_*──▶ completed | canceled | failed
//     │                     │  ▲ requeue          │
//     │cancel/expire/drop   │cancel               │cancel
//     ▼                     ▼                     ▼
//   canceled | failed     cancel_requested ──end_* / requeue──▶ canceled (or completed if it raced)
import type { TaskState } from '../types.js';

export type TaskEvent =
  | 'dispatch'
  | 'start'
  | 'end_ok'
  | 'end_canceled'
  | 'end_error'
  | 'requeue'
  | 'cancel'
  | 'expire'
  | 'drop';

type Table = Partial<Record<TaskState, Partial<Record<TaskEvent, TaskState>>>>;

const TABLE: Table = {
  queued: { dispatch: 'dispatched', cancel: 'canceled', expire: 'failed', drop: 'failed' },
  dispatched: {
    start: 'running',
    end_ok: 'completed',
    end_canceled: 'canceled',
    end_error: 'failed',
    requeue: 'queued',
    cancel: 'cancel_requested',
  },
  running: {
    end_ok: 'completed',
    end_canceled: 'canceled',
    end_error: 'failed',
    cancel: 'cancel_requested',
  },
  cancel_requested: {
    start: 'cancel_requested',
    // The engine finished before it saw the cancel: the outcome stands.
    end_ok: 'completed',
    end_canceled: 'canceled',
    // Whatever broke, the client asked for a cancel and gets one; a canceled task never requeues.
    end_error: 'canceled',
    requeue: 'canceled',
    cancel: 'cancel_requested',
  },
};

/** The next state, or undefined when the event does not apply (callers treat that as a no-op). */
export function transition(state: TaskState, event: TaskEvent): TaskState | undefined {
  return TABLE[state]?.[event];
}
