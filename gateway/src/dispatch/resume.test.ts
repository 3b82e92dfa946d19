import { afterEach, describe, expect, it } from 'vitest';
import type { PlacementRequest } from '../extproc/handler.js';
import { createHarness } from '../../test/support/harness.js';
import type { FakeControlCall, Harness } from '../../test/support/harness.js';
import { taskRequest } from '../../test/support/sidecar-messages.js';

const TASK = '11111111-1111-4111-8111-111111111111';

const streamRequest = (headers: Record<string, string> = {}, query = ''): PlacementRequest => ({
  method: 'GET',
  path: `/v1/tasks/${TASK}/stream`,
  taskId: TASK,
  correlationId: 'c',
  headers: { ':path': `/v1/tasks/${TASK}/stream${query}`, ...headers },
});

const settle = () => new Promise((r) => setTimeout(r, 5));

/** Submit, stream, accept: the task runs on r1 and its client was routed. */
async function running(h: Harness): Promise<{ call: FakeControlCall; leaseId: string }> {
  const call = h.connect({ advertiseAddress: '127.0.0.1:8123' });
  h.tasks.submit(taskRequest({ task_id: TASK, max_tokens: 8 }), 'default', 'corr');
  const first = h.director.decide(streamRequest(), new AbortController().signal);
  await settle();
  const assign = call.commands('assign')[0];
  const leaseId = assign?.leaseId ?? '';
  const lease = (event: 'accepted' | 'started') => ({
    msg: {
      $case: 'lease' as const,
      value: { leaseId, taskId: TASK, event: { $case: event, value: {} } as never },
    },
  });
  call.push(lease('accepted'));
  await first;
  call.push(lease('started'));
  return { call, leaseId };
}

describe('ORCH-4032: a stream request with Last-Event-ID', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('ORCH-4032: a reconnect without an id asks the sidecar for the stream from its first event', async () => {
    h = createHarness();
    await running(h);
    const fresh = await h.director.decide(streamRequest(), new AbortController().signal);
    expect(fresh).toMatchObject({ kind: 'route', setHeaders: { 'x-orch-resume': 'start' } });
    const after = await h.director.decide(
      streamRequest({ 'last-event-id': '2' }),
      new AbortController().signal,
    );
    expect(after.kind === 'route' && 'x-orch-resume' in after.setHeaders).toBe(false);
  });

  it('ORCH-4032: a running task is routed back to its replica with its lease (header or query)', async () => {
    h = createHarness();
    const { leaseId } = await running(h);
    // Without a resume point too (the sidecar replays from the first event): a client whose first
    // connection broke before any event must get its task back, not a permanent LEASE_INVALID.
    for (const [headers, query] of [
      [{ 'last-event-id': '3' }, ''],
      [{}, '?last_event_id=3'],
      [{}, ''],
    ] as const) {
      await expect(
        h.director.decide(streamRequest(headers, query), new AbortController().signal),
      ).resolves.toMatchObject({
        kind: 'route',
        setHeaders: {
          'x-gateway-destination-endpoint': '127.0.0.1:8123',
          'x-orch-lease-id': leaseId,
          'x-orch-task-id': TASK,
        },
      });
    }
    expect(h.core.task(TASK)?.state).toBe('running'); // nothing was dispatched again
  });

  it('ORCH-4032: a bad id is INVALID_PARAMS; a stream whose replica died ends with its terminal event as the next id', async () => {
    h = createHarness();
    const { call } = await running(h);
    await expect(
      h.director.decide(streamRequest({ 'last-event-id': 'x' }), new AbortController().signal),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    call.emit('end'); // the replica is gone: the task fails (WORKER_RESET), its stream with it
    await settle();
    const d = await h.director.decide(
      streamRequest({ 'last-event-id': '4' }),
      new AbortController().signal,
    );
    expect(d).toMatchObject({ kind: 'respond', status: 200 });
    expect(d.kind === 'respond' && d.body).toMatch(
      /^id: 5\nevent: error\ndata: \{"code":"WORKER_RESET"/,
    );
    // The same replica id registering again is a new registration: it holds no old stream.
    h.now.t += 10;
    h.connect({ advertiseAddress: '127.0.0.1:8123' });
    await expect(
      h.director.decide(streamRequest({ 'last-event-id': '4' }), new AbortController().signal),
    ).resolves.toMatchObject({ kind: 'respond', status: 200 });
  });
});
