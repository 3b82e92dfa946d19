import { describe, expect, it } from 'vitest';
import type { TaskState } from '../types.js';
import { transition } from './state-machine.js';
import type { TaskEvent } from './state-machine.js';

const STATES: TaskState[] = [
  'queued',
  'dispatched',
  'running',
  'cancel_requested',
  'completed',
  'canceled',
  'failed',
];
const EVENTS: TaskEvent[] = [
  'dispatch',
  'start',
  'end_ok',
  'end_canceled',
  'end_error',
  'requeue',
  'cancel',
  'expire',
  'drop',
];

describe('ORCH-3026: cancel state machine', () => {
  it('ORCH-3026: terminal states have no exits', () => {
    for (const s of ['completed', 'canceled', 'failed'] as TaskState[]) {
      for (const e of EVENTS) expect(transition(s, e)).toBeUndefined();
    }
  });

  it('ORCH-3026: queued cancels immediately; dispatched and running go through cancel_requested', () => {
    expect(transition('queued', 'cancel')).toBe('canceled');
    expect(transition('dispatched', 'cancel')).toBe('cancel_requested');
    expect(transition('running', 'cancel')).toBe('cancel_requested');
    expect(transition('cancel_requested', 'cancel')).toBe('cancel_requested');
  });

  it('ORCH-3026: a cancel-requested task is never dispatched again and never ends failed', () => {
    expect(transition('cancel_requested', 'dispatch')).toBeUndefined();
    expect(transition('cancel_requested', 'requeue')).toBe('canceled');
    expect(transition('cancel_requested', 'end_error')).toBe('canceled');
    expect(transition('cancel_requested', 'end_ok')).toBe('completed');
  });

  it('ORCH-3025: only a lease that never started can requeue', () => {
    expect(transition('dispatched', 'requeue')).toBe('queued');
    expect(transition('running', 'requeue')).toBeUndefined();
  });

  it('ORCH-3017: every non-terminal state has a path to a terminal state', () => {
    for (const s of STATES) {
      const reachable = EVENTS.map((e) => transition(s, e)).filter((x) => x !== undefined);
      if (['completed', 'canceled', 'failed'].includes(s)) continue;
      expect(reachable.some((x) => ['completed', 'canceled', 'failed'].includes(x as string))).toBe(
        true,
      );
    }
  });
});
