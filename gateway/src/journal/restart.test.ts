// ORCH-4030/4031 across a simulated placement crash: two independent placements (core, registry,
// director, task service) one after the other on the same journal file; the first one is simply
// abandoned (no shutdown path runs), as kill -9 would leave it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler } from '@llama-orch/core';
import type { Register } from '@llama-orch/proto';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeControlCall, TEST_SCHEDULER, register } from '../../test/support/harness.js';
import { taskRequest } from '../../test/support/sidecar-messages.js';
import { DESTINATION_HEADER, Director, LEASE_HEADER } from '../dispatch/director.js';
import { RESUME_HEADER } from '../dispatch/director-types.js';
import type { PlacementRequest } from '../extproc/handler.js';
import { createMetrics } from '../metrics/metrics.js';
import { ControlBridge } from '../replicas/control-bridge.js';
import { ReplicaRegistry } from '../replicas/registry.js';
import { TaskService } from '../services/tasks.js';
import { AdmissionJournal } from './journal.js';
import { replayJournal } from './replay.js';

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const T3 = '33333333-3333-4333-8333-333333333333';

function streamRequest(taskId: string, lastEventId?: string): PlacementRequest {
  const headers: Record<string, string> = {};
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  return {
    method: 'GET',
    path: `/v1/tasks/${taskId}/stream`,
    taskId,
    correlationId: 'c',
    headers,
  };
}

function placement(path: string, leasePrefix: string) {
  const clock = (): number => 1000;
  const log = pino({ level: 'silent' });
  const metrics = createMetrics();
  const journal = new AdmissionJournal({ path });
  const core = new Scheduler({ config: { ...TEST_SCHEDULER, leasePrefix }, clock });
  const registry = new ReplicaRegistry({ clock, heartbeatTimeoutMs: 5000, log });
  const director = new Director({
    core,
    registry,
    metrics,
    clock,
    acceptTimeoutMs: 200,
    log,
    poolEngine: () => 'llamacpp',
    journal,
  });
  const ended = (id: string): boolean => journal.hasEnded(id);
  registry.bind(new ControlBridge({ core, registry, director, metrics, log, ended }));
  const tasks = new TaskService({ core, director, registry, metrics, log, journal });
  const replay = replayJournal(journal, tasks, log);
  const connect = (reg: Partial<Register> = {}): FakeControlCall => {
    const call = new FakeControlCall();
    registry.handleConnect(call);
    call.push({ msg: { $case: 'register', value: register(reg) } });
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
    return call;
  };
  const submit = async (id: string): Promise<void> => {
    await tasks.submit(taskRequest({ task_id: id, max_tokens: 8 }), 'default', `corr-${id}`);
  };
  return { core, director, tasks, journal, replay, connect, submit };
}

describe('ORCH-4030: a placement crash loses no admitted task', () => {
  let dir = '';
  const opened: AdmissionJournal[] = [];
  afterEach(() => {
    for (const j of opened.splice(0)) j.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A placement that admitted `ids` and died (abandoned), and the one started on its journal. */
  async function restartedWith(...ids: string[]): Promise<ReturnType<typeof placement>> {
    dir = mkdtempSync(join(tmpdir(), 'restart-'));
    const path = join(dir, 'journal.sqlite');
    const first = placement(path, 'A-');
    opened.push(first.journal);
    first.connect();
    for (const id of ids) await first.submit(id);
    const second = placement(path, 'B-');
    opened.push(second.journal);
    return second;
  }

  it('ORCH-4030: queued tasks are queued again after the restart, ended ones are not; a re-reported lease adopts its restored task (ORCH-4031)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'restart-'));
    const path = join(dir, 'journal.sqlite');
    const first = placement(path, 'A-');
    opened.push(first.journal);
    first.connect({ slots: 2 });
    await first.submit(T1);
    await first.submit(T2);
    await first.submit(T3);
    first.tasks.cancel(T2); // ended before the crash
    expect(first.core.task(T2)?.state).toBe('canceled');
    // T3 was running on r1 when placement died (its lease is re-reported below).
    // The first placement is abandoned here, mid-flight: nothing is closed.

    const second = placement(path, 'B-');
    opened.push(second.journal);
    expect(second.replay).toEqual({ records: 4, restored: 2, expired: 0, refused: 0 });
    expect(second.core.task(T1)?.state).toBe('queued');
    expect(second.core.task(T2)).toBeUndefined();
    expect(second.core.task(T3)?.state).toBe('queued');
    const call = second.connect({ slots: 2, activeLeases: [{ leaseId: 'A-9', taskId: T3 }] });
    expect(second.core.task(T3)?.state).toBe('running'); // adopted, never dispatched again

    // The client of T1 reconnects to its stream: it is dispatched to the replica.
    const decision = second.director.decide(
      {
        method: 'GET',
        path: `/v1/tasks/${T1}/stream`,
        taskId: T1,
        correlationId: 'c',
        headers: {},
      },
      new AbortController().signal,
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(call.commands('assign').map((a) => a.task?.taskId)).toEqual([T1]);
    const leaseId = call.commands('assign')[0]?.leaseId ?? '';
    call.push({
      msg: {
        $case: 'lease',
        value: { leaseId, taskId: T1, event: { $case: 'accepted', value: {} } },
      },
    });
    await expect(decision).resolves.toMatchObject({ kind: 'route' });
    // A second end of T2 (e.g. a late LeaseFinished) cannot be recorded again.
    expect(second.journal.terminal(T2, { state: 'completed' })).toBe(false);
    second.director.close();
  });

  // The chaos suite's "kill placement" lost a task this way: the client's stream request reached
  // the restarted placement before the replica that still held the task's lease re-registered.
  it.each([
    { lastEventId: undefined, resume: 'start' },
    { lastEventId: '4', resume: undefined },
  ])(
    'ORCH-4031: a stream request held before its replica re-registers is routed to the re-reported lease (Last-Event-ID $lastEventId)',
    async ({ lastEventId, resume }) => {
      const second = await restartedWith(T1);
      expect(second.core.task(T1)?.state).toBe('queued');
      const request = streamRequest(T1, lastEventId);
      const decision = second.director.decide(request, new AbortController().signal);
      await new Promise((r) => setTimeout(r, 10));
      const call = second.connect({ activeLeases: [{ leaseId: 'A-9', taskId: T1 }] });
      const routed = await Promise.race([
        decision,
        new Promise((r) => setTimeout(() => r('still held'), 500)),
      ]);
      expect(routed).toMatchObject({
        kind: 'route',
        setHeaders: { [LEASE_HEADER]: 'A-9', [DESTINATION_HEADER]: '127.0.0.1:8100' },
      });
      // A fresh request gets the stream from its first event; a reconnect after event 4 carries
      // its own Last-Event-ID to the sidecar, which replays from there (ORCH-4032).
      expect((routed as { setHeaders: Record<string, string> }).setHeaders[RESUME_HEADER]).toBe(
        resume,
      );
      expect(call.commands('assign')).toEqual([]); // the task runs once, under its old lease
      second.director.close();
    },
  );

  it('ORCH-4031: a re-reported lease of a task already running under another lease is canceled on its sidecar', async () => {
    const second = await restartedWith(T1);
    const r2 = second.connect({ replicaId: 'r2', advertiseAddress: '127.0.0.1:8200' });
    const decision = second.director.decide(streamRequest(T1), new AbortController().signal);
    await new Promise((r) => setTimeout(r, 10));
    const leaseId = r2.commands('assign')[0]?.leaseId ?? '';
    expect(leaseId).toMatch(/^B-/);
    r2.push({
      msg: {
        $case: 'lease',
        value: { leaseId, taskId: T1, event: { $case: 'accepted', value: {} } },
      },
    });
    await expect(decision).resolves.toMatchObject({ setHeaders: { [LEASE_HEADER]: leaseId } });
    // r1 held the task's old lease (its stream never claimed) and re-registers late: that lease
    // must not keep r1's slot until the sidecar's lease TTL.
    const r1 = second.connect({ activeLeases: [{ leaseId: 'A-9', taskId: T1 }] });
    expect(r1.commands('cancel')).toMatchObject([{ leaseId: 'A-9', taskId: T1 }]);
    expect(second.core.task(T1)?.state).not.toBe('queued');
    second.director.close();
  });

  it('ORCH-4031: a lease that finished while placement was down ends its replayed task once, by its LeaseFinished', async () => {
    const second = await restartedWith(T1, T3);
    const call = second.connect(); // its Register lists no lease: A-9 ended before it
    const finished = (leaseId: string, taskId: string) => ({
      msg: {
        $case: 'lease' as const,
        value: {
          leaseId,
          taskId,
          event: {
            $case: 'finished' as const,
            value: {
              reason: 'length',
              errorCode: '',
              tokensIn: 4,
              tokensOut: 8,
              firstTokenMs: 5,
              decodeTimeMs: 40,
            },
          },
        },
      },
    });
    call.push(finished('A-9', T1));
    expect(second.core.task(T1)?.state).toBe('completed'); // not run a second time
    expect(second.journal.hasEnded(T1)).toBe(true);
    // A lease this placement issued and no longer knows (e.g. its Assign timed out) is not adopted.
    call.push(finished('B-77', T3));
    expect(second.core.task(T3)?.state).toBe('queued');
    second.director.close();
  });

  it('ORCH-4030: OpenAI requests are not journaled (their client cannot come back); OrchQueue ones are', async () => {
    dir = mkdtempSync(join(tmpdir(), 'restart-'));
    const p = placement(join(dir, 'journal.sqlite'), 'A-');
    opened.push(p.journal);
    p.connect();
    const spec = (id: string) => ({
      task_id: id,
      model_ref: 'smollm2-135m',
      engine: 'llamacpp' as const,
      ctx: 512,
      priority: 'interactive' as const,
      max_tokens: 8,
      prompt: 'x',
    });
    p.tasks.admit(spec(T1), 'default', false, 'openai');
    await p.submit(T2);
    expect([p.journal.isOpen(T1), p.journal.isOpen(T2)]).toEqual([false, true]);
    // Issue 19: the journal keeps no open set; the director records ends of journaled tasks only.
    p.director.cancelTask(T1, 'client');
    p.director.cancelTask(T2, 'client');
    expect([p.journal.hasEnded(T1), p.journal.hasEnded(T2)]).toEqual([false, true]);
    p.director.close();
  });
});
