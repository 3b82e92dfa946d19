import { CoreError } from '@llama-orch/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { PlacementRequest } from '../extproc/handler.js';
import { createHarness } from '../../test/support/harness.js';
import { taskRequest } from '../../test/support/sidecar-messages.js';
import type { FakeControlCall, Harness } from '../../test/support/harness.js';

const TASK = '11111111-1111-4111-8111-111111111111';
const SESSION = '22222222-2222-4222-8222-222222222222';

function submit(h: Harness, taskId = TASK): Promise<unknown> {
  return h.tasks.submit(
    taskRequest({ task_id: taskId, session_id: SESSION, max_tokens: 16 }),
    'default',
    'corr-1',
  );
}

const streamRequest = (taskId: string | undefined): PlacementRequest => ({
  method: 'GET',
  path: `/v1/tasks/${taskId}/stream`,
  taskId,
  correlationId: 'corr-2',
  headers: {},
});

const settle = () => new Promise((r) => setTimeout(r, 5));

function accept(call: FakeControlCall, index = 0): string {
  const assign = call.commands('assign')[index];
  if (!assign?.task) throw new Error('no assign');
  call.push({
    msg: {
      $case: 'lease',
      value: {
        leaseId: assign.leaseId,
        taskId: assign.task.taskId,
        event: { $case: 'accepted', value: {} },
      },
    },
  });
  return assign.leaseId;
}

describe('Director (core + registry + fake control streams)', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('ORCH-4005/ORCH-4018: holds until dispatch, sends Assign, routes with destination and lease headers', async () => {
    h = createHarness();
    const call = h.connect({ advertiseAddress: '127.0.0.1:8123' });
    submit(h);
    const decision = h.director.decide(streamRequest(TASK), new AbortController().signal);
    await settle();
    const assign = call.commands('assign')[0];
    expect(assign?.task?.taskId).toBe(TASK);
    expect(assign?.task?.seed).toBeTypeOf('number'); // ORCH-3091: always filled
    const leaseId = accept(call);
    await expect(decision).resolves.toEqual({
      kind: 'route',
      setHeaders: {
        'x-gateway-destination-endpoint': '127.0.0.1:8123',
        'x-orch-lease-id': leaseId,
        // ORCH-3103/3105: task, seed that runs and replica set for the OpenAI routes.
        'x-orch-task-id': TASK,
        'x-orch-seed': String(assign?.task?.seed),
        'x-orch-replica-set': expect.stringContaining('llamacpp|') as unknown as string,
      },
      // ORCH-4018: the endpoint-picker protocol's metadata channel carries the same endpoint.
      dynamicMetadata: { 'envoy.lb': { 'x-gateway-destination-endpoint': '127.0.0.1:8123' } },
    });
    expect(await h.metrics.registry.getSingleMetricAsString('tasks_started_total')).toContain(
      'replica_id="r1"',
    );
  });

  it('ORCH-4005: a stream request sends its Assign within the same event-loop turn (no timer hop)', async () => {
    h = createHarness();
    const call = h.connect();
    submit(h);
    let turned = false;
    setImmediate(() => (turned = true));
    void h.director.decide(streamRequest(TASK), new AbortController().signal);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(turned).toBe(false);
    expect(call.commands('assign')).toHaveLength(1);
  });

  it('ORCH-4005: unknown task → NOT_FOUND', async () => {
    h = createHarness();
    h.connect();
    await expect(
      h.director.decide(streamRequest('nope'), new AbortController().signal),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      h.director.decide(streamRequest(undefined), new AbortController().signal),
    ).rejects.toBeInstanceOf(CoreError);
  });

  it('ORCH-4005: cancel while queued answers the held request with a terminal end{canceled}', async () => {
    h = createHarness();
    const call = h.connect({}, 0); // no free slot: the task stays queued
    submit(h);
    const decision = h.director.decide(streamRequest(TASK), new AbortController().signal);
    await settle();
    expect(call.commands('assign')).toHaveLength(0);
    h.tasks.cancel(TASK);
    const d = await decision;
    expect(d).toMatchObject({
      kind: 'respond',
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    });
    expect(d.kind === 'respond' && d.body).toBe(
      'id: 0\nevent: end\ndata: {"tokens_out":0,"decode_time_ms":0,"reason":"canceled"}\n\n',
    );
    expect(await h.metrics.registry.getSingleMetricAsString('tasks_canceled_total')).toContain(
      'reason="client"',
    );
  });

  it('ORCH-4005: canceled before the client attached → terminal event at attach', async () => {
    h = createHarness();
    h.connect({}, 0);
    submit(h);
    h.tasks.cancel(TASK);
    const d = await h.director.decide(streamRequest(TASK), new AbortController().signal);
    expect(d.kind === 'respond' && d.body).toContain('"reason":"canceled"');
  });

  it('ORCH-4005: client gone while queued → detached, never dispatched', async () => {
    h = createHarness();
    const call = h.connect({}, 0);
    submit(h);
    const abort = new AbortController();
    void h.director.decide(streamRequest(TASK), abort.signal);
    await settle();
    abort.abort();
    expect(h.core.task(TASK)?.attached).toBe(false);
    // A slot frees up: the detached task must not be sent anywhere.
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
    await settle();
    expect(call.commands('assign')).toHaveLength(0);
  });

  it('ORCH-4011: Assign not accepted in time → lease failed and retried, then routed', async () => {
    h = createHarness(30);
    const call = h.connect();
    submit(h);
    const decision = h.director.decide(streamRequest(TASK), new AbortController().signal);
    await new Promise((r) => setTimeout(r, 80));
    expect(call.commands('cancel').some((c) => c.reason === 'accept_timeout')).toBe(true);
    // ORCH-4021: the replica is suspect until its next heartbeat.
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
    await settle();
    expect(call.commands('assign').length).toBeGreaterThanOrEqual(2);
    const leaseId = accept(call, call.commands('assign').length - 1);
    await expect(decision).resolves.toMatchObject({
      kind: 'route',
      setHeaders: { 'x-orch-lease-id': leaseId },
    });
  });

  it('ORCH-4011: control stream end removes the replica; admission then sees no replica', async () => {
    h = createHarness();
    const call = h.connect();
    call.emit('end');
    expect(h.registry.connected).toBe(0);
    await expect(submit(h)).rejects.toThrow(CoreError);
  });

  it('ORCH-4015: LeaseFinished feeds tokens_in/out and first-token latency', async () => {
    h = createHarness();
    const call = h.connect();
    submit(h);
    const decision = h.director.decide(streamRequest(TASK), new AbortController().signal);
    await settle();
    const leaseId = accept(call);
    await decision;
    call.push({
      msg: {
        $case: 'lease',
        value: { leaseId, taskId: TASK, event: { $case: 'started', value: {} } },
      },
    });
    call.push({
      msg: {
        $case: 'lease',
        value: {
          leaseId,
          taskId: TASK,
          event: {
            $case: 'finished',
            value: {
              reason: 'stop',
              errorCode: '',
              tokensIn: 7,
              tokensOut: 5,
              firstTokenMs: 40,
              decodeTimeMs: 90,
            },
          },
        },
      },
    });
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(/tokens_out_total\{[^}]*replica_id="r1"\} 5/);
    expect(text).toMatch(/tokens_in_total\{[^}]*\} 7/);
    expect(text).toMatch(/latency_first_token_ms_count\{[^}]*priority="interactive"\} 1/);
    expect(h.core.task(TASK)?.state).toBe('completed');
  });

  it('ORCH-4007/ORCH-4031: after a placement restart, a re-reported lease is adopted: slot held, cancel reaches the sidecar, its end counted once', async () => {
    h = createHarness();
    const call = h.connect({ activeLeases: [{ leaseId: 'old-1', taskId: 'from-before' }] }, 0);
    // Adopted: core knows the task as running on r1 and its one slot as taken.
    expect(h.core.task('from-before')?.state).toBe('running');
    submit(h);
    const held = h.director.decide(streamRequest(TASK), new AbortController().signal);
    call.push({
      msg: {
        $case: 'heartbeat',
        value: {
          ready: true,
          unreadyReason: '',
          slotsFree: 1,
          running: 1,
          waiting: 0,
          kvUsageRatio: 0,
        },
      },
    });
    await settle();
    expect(call.commands('assign')).toEqual([]); // the only slot is the adopted lease's
    // A client cancel of the adopted task reaches the sidecar holding it.
    h.tasks.cancel('from-before');
    expect(call.commands('cancel')).toEqual([
      { leaseId: 'old-1', taskId: 'from-before', reason: 'client' },
    ]);
    call.push({
      msg: {
        $case: 'lease',
        value: {
          leaseId: 'old-1',
          taskId: 'from-before',
          event: {
            $case: 'finished',
            value: {
              reason: 'canceled',
              errorCode: '',
              tokensIn: 4,
              tokensOut: 9,
              firstTokenMs: 10,
              decodeTimeMs: 50,
            },
          },
        },
      },
    });
    await settle();
    expect(h.core.task('from-before')?.state).toBe('canceled');
    const metrics = await h.metrics.registry.metrics();
    expect(metrics).toMatch(/tokens_out_total\{[^}]*replica_id="r1"\} 9/);
    expect(metrics).toMatch(/tasks_canceled_total\{[^}]*reason="client"\} 1/);
    // The freed slot now serves the held task.
    expect(call.commands('assign').map((a) => a.task?.taskId)).toEqual([TASK]);
    accept(call);
    await expect(held).resolves.toMatchObject({ kind: 'route' });
  });

  it('ORCH-4005: expired while queued → the held request gets a terminal error event', async () => {
    h = createHarness(200, { interactive: { maxWaitMs: 1000 } });
    h.connect({}, 0);
    submit(h);
    const decision = h.director.decide(streamRequest(TASK), new AbortController().signal);
    await settle();
    h.now.t += 1001;
    h.director.tick();
    const d = await decision;
    expect(d).toMatchObject({ kind: 'respond', status: 200 });
    expect(d.kind === 'respond' && d.body).toMatch(
      /^id: 0\nevent: error\ndata: \{"code":"[A-Z_]+".*"engine":"llamacpp"/,
    );
    expect(
      await h.metrics.registry.getSingleMetricAsString('placement_extproc_requests_total'),
    ).toContain('outcome="expired"');
  });
});
