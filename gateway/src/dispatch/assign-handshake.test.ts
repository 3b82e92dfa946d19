// ORCH-4021: the Assign → LeaseAccepted handshake is bounded; a replica that lets it time out is
// revoked (Cancel), suspect until its next heartbeat, and the task is retried or ends
// REPLICA_EXHAUSTED.
import type { LeaseEvent } from '@llama-orch/proto';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlacementRequest } from '../extproc/handler.js';
import { createHarness } from '../../test/support/harness.js';
import { taskRequest } from '../../test/support/sidecar-messages.js';
import type { FakeControlCall, Harness } from '../../test/support/harness.js';

const TASK = '33333333-3333-4333-8333-333333333333';

function submit(h: Harness): void {
  h.tasks.submit(
    taskRequest({
      task_id: TASK,
      session_id: '44444444-4444-4444-8444-444444444444',
      max_tokens: 16,
    }),
    'default',
    'corr-1',
  );
}

const streamRequest: PlacementRequest = {
  method: 'GET',
  path: `/v1/tasks/${TASK}/stream`,
  taskId: TASK,
  correlationId: 'corr-2',
  headers: {},
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function heartbeat(call: FakeControlCall): void {
  call.push({
    msg: {
      $case: 'heartbeat',
      value: {
        ready: true,
        unreadyReason: '',
        slotsFree: 1,
        running: 0,
        waiting: 0,
        kvUsageRatio: 0,
      },
    },
  });
}

/** The sidecar's answer to an Assign (LeaseAccepted, or LeaseRefused for ORCH-4033). */
function answer(call: FakeControlCall, leaseId: string, event: LeaseEvent['event']): void {
  call.push({ msg: { $case: 'lease', value: { leaseId, taskId: TASK, event } } });
}

describe('ORCH-4021: the Assign handshake is bounded', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('ORCH-4021: timeout → Cancel to the silent replica, the retry goes to another replica', async () => {
    h = createHarness(60);
    const first = h.connect({ replicaId: 'r1', advertiseAddress: '127.0.0.1:8101' });
    const second = h.connect({ replicaId: 'r2', advertiseAddress: '127.0.0.1:8102' });
    submit(h);
    const decision = h.director.decide(streamRequest, new AbortController().signal);
    // Accept the retry well inside its own 60 ms window: poll for the first Cancel.
    for (
      let i = 0;
      i < 100 && first.commands('cancel').length + second.commands('cancel').length === 0;
      i++
    ) {
      await sleep(5);
    }
    await sleep(5);
    const [silent, other] = first.commands('assign').length > 0 ? [first, second] : [second, first];
    expect(silent.commands('assign')).toHaveLength(1);
    expect(silent.commands('cancel').map((c) => c.reason)).toEqual(['accept_timeout']);
    const retry = other.commands('assign');
    expect(retry).toHaveLength(1);
    answer(other, retry[0]?.leaseId ?? '', { $case: 'accepted', value: {} });
    await expect(decision).resolves.toMatchObject({ kind: 'route' });
  });

  it('ORCH-4021: the replica stays suspect (no new Assign) until its next healthy heartbeat', async () => {
    h = createHarness(30);
    const call = h.connect();
    submit(h);
    const decision = h.director.decide(streamRequest, new AbortController().signal);
    await sleep(100);
    // Three handshake windows have passed: without the suspect mark the task would be re-assigned.
    expect(call.commands('assign')).toHaveLength(1);
    expect(h.core.task(TASK)?.state).toBe('queued');
    heartbeat(call);
    await sleep(5);
    const assigns = call.commands('assign');
    expect(assigns).toHaveLength(2);
    answer(call, assigns[1]?.leaseId ?? '', { $case: 'accepted', value: {} });
    await expect(decision).resolves.toMatchObject({ kind: 'route' });
  });

  it('ORCH-4021: when no attempt is accepted the task ends REPLICA_EXHAUSTED', async () => {
    h = createHarness(20);
    const call = h.connect();
    submit(h);
    const decision = h.director.decide(streamRequest, new AbortController().signal);
    // Each timeout makes the replica suspect; a heartbeat clears it for the next attempt.
    for (let i = 0; i < 10 && h.core.task(TASK)?.state !== 'failed'; i++) {
      await sleep(40);
      heartbeat(call);
    }
    const d = await decision;
    expect(d.kind === 'respond' && d.body).toMatch(/"code":"REPLICA_EXHAUSTED"/);
    expect(call.commands('cancel').every((c) => c.reason === 'accept_timeout')).toBe(true);
    expect(call.commands('cancel').length).toBe(call.commands('assign').length);
  });
});

describe('ORCH-4033: a refused Assign is re-queued at once, the replica held until its next heartbeat', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('ORCH-4033: busy refusal → no Cancel, not suspect, pool still Ready, no re-Assign before the heartbeat, served after it', async () => {
    // A 10 s accept timeout: only the refusal can end the first wait within this test.
    h = createHarness(10_000);
    const call = h.connect();
    heartbeat(call);
    submit(h);
    const decision = h.director.decide(streamRequest, new AbortController().signal);
    for (let i = 0; i < 100 && call.commands('assign').length === 0; i++) await sleep(2);
    const first = call.commands('assign')[0]?.leaseId ?? '';
    expect(first).not.toBe('');
    answer(call, first, { $case: 'refused', value: { reason: 'slot taken', busy: true } });
    await sleep(30);
    expect(h.core.task(TASK)?.state).toBe('queued');
    expect(call.commands('cancel')).toEqual([]);
    // Held, not suspect: health stays Ready and names no fault.
    const health = h.pools.health('pool-a');
    expect(health.ready).toBe(true);
    expect(health.replicas[0]?.unready_reason).toBeUndefined();
    // Without the hold, core would hand the same busy replica the task again at once.
    expect(call.commands('assign')).toHaveLength(1);
    heartbeat(call);
    for (let i = 0; i < 100 && call.commands('assign').length < 2; i++) await sleep(2);
    const assigns = call.commands('assign');
    expect(assigns).toHaveLength(2);
    answer(call, assigns[1]?.leaseId ?? '', { $case: 'accepted', value: {} });
    await expect(decision).resolves.toMatchObject({ kind: 'route' });
  });
});
