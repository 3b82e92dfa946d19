import { validateSseTranscript } from '@llama-orch/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LeaseFinished, Register, SidecarMessage } from '@llama-orch/proto';
import { startSidecar, type SidecarHandle } from './sidecar.js';
import { startFakeLlama, type FakeLlama } from '../test/support/fake-llama-server.js';
import { startFakePlacement, type FakePlacement } from '../test/support/fake-placement.js';
import { grammarViolations, readSse } from '../test/support/sse-client.js';

let fake: FakeLlama;
let placement: FakePlacement;
let sidecar: SidecarHandle;
let n = 0;

const DIGEST = 'ab'.repeat(32);

beforeAll(async () => {
  fake = await startFakeLlama({ tokens: ['Hello', ',', ' world'] });
  placement = await startFakePlacement();
  sidecar = await startSidecar({
    replicaId: 'r-unit',
    poolId: 'pool-unit',
    modelRef: 'fake-model',
    external: { baseUrl: fake.baseUrl, modelDigest: DIGEST },
    determinismStrict: false,
    placementAddress: placement.address,
    heartbeatMs: 100,
    backoffInitialMs: 50,
    backoffMaxMs: 200,
    cancelIdleDeadlineMs: 500,
    // ORCH-4032: a client that leaves gets 300 ms to resume before its engine request is aborted.
    resumeWindowMs: 300,
    log: (m) => process.env.SIDECAR_TEST_LOG && console.log(m),
  });
  await placement.waitFor((m) => m.msg?.$case === 'heartbeat');
});

afterAll(async () => {
  await sidecar.close();
  await placement.close();
  await fake.close();
});

afterEach(() => {
  fake.script = { tokens: ['Hello', ',', ' world'] };
});

const leaseOf = (m: SidecarMessage) => (m.msg?.$case === 'lease' ? m.msg.value : undefined);

function finishedFor(leaseId: string): Promise<LeaseFinished> {
  return placement
    .waitFor((m) => {
      const l = leaseOf(m);
      return l?.leaseId === leaseId && l.event?.$case === 'finished';
    })
    .then((m) => {
      const ev = leaseOf(m)?.event;
      if (ev?.$case !== 'finished') throw new Error('not finished');
      return ev.value;
    });
}

async function assignAndAccept(
  extra: { prompt?: string; correlationId?: string; seed?: number } = {},
) {
  // The previous test's lease may still hold the slot until the engine confirms it idle.
  await until(() => sidecar.status().ready && sidecar.status().leases === 0, 3000);
  n += 1;
  const leaseId = `lease-${n}`;
  const taskId = `task-${n}`;
  placement.assign(leaseId, { taskId, ...extra }, { queuePosition: 3, predictedStartMs: 120 });
  await placement.waitFor((m) => {
    const l = leaseOf(m);
    return l?.leaseId === leaseId && l.event?.$case === 'accepted';
  });
  return { leaseId, taskId };
}

function stream(taskId: string, leaseId?: string, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = leaseId ? { 'x-orch-lease-id': leaseId } : {};
  return fetch(`http://127.0.0.1:${sidecar.port}/v1/tasks/${taskId}/stream`, { ...init, headers });
}

describe('ORCH-4010: sidecar control stream (fake placement, fake engine)', () => {
  it('ORCH-3032/4017: Register carries identity, digest, canary hash, slots and ctx', async () => {
    const m = await placement.waitFor((x) => x.msg?.$case === 'register');
    const reg = (m.msg?.$case === 'register' ? m.msg.value : undefined) as Register;
    expect(reg).toMatchObject({
      replicaId: 'r-unit',
      poolId: 'pool-unit',
      engine: 'llamacpp',
      engineVersion: 'b9999-fake',
      modelDigest: DIGEST,
      samplerProfileVersion: 'v1',
      advertiseAddress: `127.0.0.1:${sidecar.port}`,
      slots: 1,
      ctxMax: 2048,
      determinismStrict: false,
    });
    expect(reg.canaryHash).toMatch(/^[0-9a-f]{64}$/);
    const hb = await placement.waitFor((x) => x.msg?.$case === 'heartbeat' && x.msg.value.ready);
    expect(hb.msg?.$case === 'heartbeat' && hb.msg.value.slotsFree).toBe(1);
  });
});

describe('ORCH-4012/2027: routed stream', () => {
  it('ORCH-2027: streams started, consecutive tokens and one end; echoes the correlation id; reports the outcome', async () => {
    const { leaseId, taskId } = await assignAndAccept({ correlationId: 'corr-123' });
    const res = await stream(taskId, leaseId);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-correlation-id')).toBe('corr-123');
    const { events, raw } = await readSse(res);
    expect(grammarViolations(events)).toEqual([]);
    expect(validateSseTranscript(raw).issues).toEqual([]);
    expect(events[0]?.data).toEqual({ queue_position: 3, predicted_start_ms: 120 });
    expect(events.filter((e) => e.event === 'token').map((e) => e.data.t)).toEqual([
      'Hello',
      ',',
      ' world',
    ]);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { reason: 'stop', tokens_out: 3 } });
    const fin = await finishedFor(leaseId);
    expect(fin).toMatchObject({ reason: 'stop', tokensOut: 3, tokensIn: 5, errorCode: '' });
    // ORCH-3091: task without a seed runs with FNV-1a(task_id).
    expect(fake.requests.at(-1)?.seed).toBe(expectSeed(taskId));
  });

  it('ORCH-4012: no lease, wrong task, reused lease → 403 LEASE_INVALID envelope', async () => {
    const none = await stream('task-x');
    expect(none.status).toBe(403);
    expect(none.headers.get('x-correlation-id')).toBeTruthy();
    expect(await none.json()).toMatchObject({ code: 'LEASE_INVALID', retriable: false });
    const { leaseId, taskId } = await assignAndAccept();
    expect((await stream('other-task', leaseId)).status).toBe(403);
    await readSse(await stream(taskId, leaseId));
    const again = await stream(taskId, leaseId, { headers: { 'x-correlation-id': 'c-9' } });
    expect(again.status).toBe(403);
    const metrics = await (await fetch(`http://127.0.0.1:${sidecar.port}/metrics`)).text();
    expect(metrics).toMatch(
      /sidecar_lease_rejections_total\{pool_id="pool-unit",replica_id="r-unit",reason="missing"\} 1/,
    );
  });

  it('ORCH-4013/3026: Cancel mid-stream → end{canceled} promptly, no later token, engine slot freed', async () => {
    fake.script = { tokens: Array.from({ length: 200 }, (_, i) => `w${i} `), delayMs: 15 };
    const { leaseId, taskId } = await assignAndAccept();
    let cancelAt = 0;
    const { events, raw } = await readSse(await stream(taskId, leaseId), (ev, all) => {
      if (ev.event === 'token' && all.filter((e) => e.event === 'token').length === 3) {
        cancelAt = ev.at;
        placement.cancel(leaseId, taskId);
      }
    });
    expect(grammarViolations(events)).toEqual([]);
    expect(validateSseTranscript(raw).issues).toEqual([]);
    const end = events.at(-1);
    expect(end).toMatchObject({ event: 'end', data: { reason: 'canceled' } });
    expect((end?.at ?? 0) - cancelAt).toBeLessThan(500);
    expect(events.filter((e) => e.event === 'token').length).toBeLessThan(10);
    expect(await finishedFor(leaseId)).toMatchObject({ reason: 'canceled' });
    await until(() => !fake.processing, 2000);
    expect(fake.processing).toBe(false);
  });

  it('ORCH-4013: engine ignoring the abort (slot stays busy) turns the replica unready', async () => {
    fake.script = {
      tokens: Array.from({ length: 200 }, (_, i) => `w${i} `),
      delayMs: 15,
      ignoreDisconnect: true,
    };
    const { leaseId, taskId } = await assignAndAccept();
    await readSse(await stream(taskId, leaseId), (ev) => {
      if (ev.event === 'token') placement.cancel(leaseId, taskId);
    });
    await finishedFor(leaseId);
    await until(() => sidecar.status().reason.includes('slot'), 3000);
    expect(sidecar.status()).toMatchObject({ ready: false });
    expect(sidecar.status().reason).toContain('slot still busy after cancel');
    fake.processing = false;
    await until(() => sidecar.status().ready, 3000);
    expect(sidecar.status().ready).toBe(true);
  });

  it('ORCH-4013/ORCH-4032: client disconnect aborts the engine request once the resume window passes and reports canceled', async () => {
    fake.script = { tokens: Array.from({ length: 200 }, (_, i) => `w${i} `), delayMs: 15 };
    const { leaseId, taskId } = await assignAndAccept();
    const ac = new AbortController();
    const res = await stream(taskId, leaseId, { signal: ac.signal });
    await readSse(res, (ev) => {
      if (ev.event === 'token') ac.abort();
    }).catch(() => undefined);
    expect(await finishedFor(leaseId)).toMatchObject({ reason: 'canceled' });
    await until(() => !fake.processing, 2000);
    expect(fake.processing).toBe(false);
  });

  it('ORCH-2028: engine reset mid-stream → error{WORKER_RESET, retriable} event', async () => {
    fake.script = {
      tokens: ['a', 'b', 'c', 'd'],
      delayMs: 20,
      failAfter: { tokens: 2, kind: 'reset' },
    };
    const { leaseId, taskId } = await assignAndAccept();
    const { events, raw } = await readSse(await stream(taskId, leaseId));
    expect(grammarViolations(events)).toEqual([]);
    expect(validateSseTranscript(raw).issues).toEqual([]);
    expect(events.at(-1)).toMatchObject({
      event: 'error',
      data: { code: 'WORKER_RESET', retriable: true, engine: 'llamacpp' },
    });
    expect(await finishedFor(leaseId)).toMatchObject({
      reason: 'error',
      errorCode: 'WORKER_RESET',
    });
  });
});

describe('ORCH-3017: cancel before the stream arrives', () => {
  it('ORCH-3017: frees the slot at once, reports canceled, and a late stream still ends with end{canceled}', async () => {
    const { leaseId, taskId } = await assignAndAccept();
    expect(sidecar.status().leases).toBe(1);
    placement.cancel(leaseId, taskId);
    expect(await finishedFor(leaseId)).toMatchObject({ reason: 'canceled', tokensOut: 0 });
    expect(sidecar.status().leases).toBe(0);
    const { events, raw } = await readSse(await stream(taskId, leaseId));
    expect(validateSseTranscript(raw).issues).toEqual([]);
    expect(events.map((e) => e.event)).toEqual(['started', 'end']);
    expect(events[1]?.data.reason).toBe('canceled');
    await new Promise((r) => setTimeout(r, 100));
    const finishes = placement.messages.filter(
      (m) => leaseOf(m)?.leaseId === leaseId && leaseOf(m)?.event?.$case === 'finished',
    );
    expect(finishes).toHaveLength(1);
    expect((await stream(taskId, leaseId)).status).toBe(403);
  });
});

describe('ORCH-4007: duplicate Assign', () => {
  it('ORCH-4007: an Assign resent for a held lease is acknowledged again, not refused', async () => {
    const { leaseId, taskId } = await assignAndAccept();
    placement.assign(leaseId, { taskId });
    await until(
      () =>
        placement.messages.filter(
          (m) => leaseOf(m)?.leaseId === leaseId && leaseOf(m)?.event?.$case === 'accepted',
        ).length === 2,
      2000,
    );
    const accepted = placement.messages.filter(
      (m) => leaseOf(m)?.leaseId === leaseId && leaseOf(m)?.event?.$case === 'accepted',
    );
    expect(accepted).toHaveLength(2);
    const { events } = await readSse(await stream(taskId, leaseId));
    expect(events.at(-1)?.event).toBe('end');
  });
});

describe('ORCH-4033: a refused Assign is answered at once', () => {
  it('ORCH-4033: an Assign while the slot is held is refused as busy, the held lease untouched', async () => {
    fake.script = { tokens: Array.from({ length: 10 }, (_, i) => `b${i}`), delayMs: 20 };
    const { leaseId, taskId } = await assignAndAccept();
    placement.assign('lease-busy', { taskId: 'task-busy' });
    const answer = await placement.waitFor((m) => leaseOf(m)?.leaseId === 'lease-busy', 2000);
    expect(leaseOf(answer)?.event).toEqual({
      $case: 'refused',
      value: { reason: 'slot taken', busy: true },
    });
    const { events } = await readSse(await stream(taskId, leaseId));
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { reason: 'stop' } });
  });
});

describe('ORCH-3102: a chat task is rendered when its lease is accepted', () => {
  it('ORCH-3102: the template is rendered once, before the stream request arrives, and that prompt is decoded', async () => {
    await until(() => sidecar.status().ready && sidecar.status().leases === 0, 3000);
    const renders = fake.templateRequests.length;
    const decodes = fake.requests.length;
    placement.assign('lease-chat', {
      taskId: 'task-chat',
      prompt: 'Hi there',
      promptFormat: 'chat',
    });
    // Issue 19: the engine round trip overlaps the client's stream request.
    await until(() => fake.templateRequests.length === renders + 1, 2000);
    expect(fake.templateRequests.at(-1)).toEqual({
      messages: [{ role: 'user', content: 'Hi there' }],
    });
    expect(fake.requests.length).toBe(decodes);
    const { events } = await readSse(await stream('task-chat', 'lease-chat'));
    expect(events.at(-1)?.event).toBe('end');
    expect(fake.templateRequests.length).toBe(renders + 1);
    expect(fake.requests.at(-1)?.prompt).toBe(
      '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n',
    );
  });
});

describe('ORCH-4011: readiness follows engine probes', () => {
  it('ORCH-4011: a failing probe turns the replica unready; the next good probe restores it', async () => {
    await until(() => sidecar.status().ready && sidecar.status().leases === 0, 3000);
    fake.failProbes = true;
    try {
      await until(() => !sidecar.status().ready, 2000);
      expect(sidecar.status().reason).toContain('probe: engine probe failed');
      const hb = await placement.waitFor(
        (m) => m.msg?.$case === 'heartbeat' && m.msg.value.unreadyReason.includes('probe'),
      );
      expect(hb.msg?.$case === 'heartbeat' && hb.msg.value.ready).toBe(false);
    } finally {
      fake.failProbes = false;
    }
    await until(() => sidecar.status().ready, 2000);
    expect(sidecar.status().ready).toBe(true);
  });
});

describe('ORCH-4016: strict tasks', () => {
  it('ORCH-4016: a strict task is not accepted by a replica whose engine is not proven deterministic', async () => {
    await until(() => sidecar.status().ready && sidecar.status().leases === 0, 3000);
    placement.assign('lease-strict', { taskId: 'task-strict', determinism: 'strict' });
    // ORCH-4033: refused at once, with the reason, and not as a busy slot.
    const answer = await placement.waitFor((m) => leaseOf(m)?.leaseId === 'lease-strict', 2000);
    const event = leaseOf(answer)?.event;
    expect(event?.$case).toBe('refused');
    expect(event?.$case === 'refused' && event.value).toMatchObject({ busy: false });
    expect(event?.$case === 'refused' && event.value.reason).toContain('ORCH-4016');
    expect(sidecar.status().leases).toBe(0);
  });
});

describe('ORCH-4007: placement restart', () => {
  it('ORCH-4007: a stream in flight survives; the sidecar re-registers with its active lease', async () => {
    fake.script = { tokens: Array.from({ length: 40 }, (_, i) => `z${i}`), delayMs: 20 };
    const { leaseId, taskId } = await assignAndAccept();
    const port = placement.port;
    const reading = readSse(await stream(taskId, leaseId));
    await new Promise((r) => setTimeout(r, 100));
    await placement.close();
    placement = await startFakePlacement(port);
    const reg = await placement.waitFor((m) => m.msg?.$case === 'register', 5000);
    expect(reg.msg?.$case === 'register' && reg.msg.value.activeLeases).toEqual([
      { leaseId, taskId },
    ]);
    const { events, raw } = await reading;
    expect(grammarViolations(events)).toEqual([]);
    expect(validateSseTranscript(raw).issues).toEqual([]);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { reason: 'stop', tokens_out: 40 } });
    expect(await finishedFor(leaseId)).toMatchObject({ reason: 'stop', tokensOut: 40 });
  });
});

describe('ORCH-4016: strict determinism', () => {
  it('ORCH-4016: strict mode on an engine whose launch flags are unknown refuses Ready and says why', async () => {
    const p2 = await startFakePlacement();
    const strict = await startSidecar({
      replicaId: 'r-strict',
      poolId: 'pool-unit',
      modelRef: 'fake-model',
      external: { baseUrl: fake.baseUrl, modelDigest: DIGEST },
      determinismStrict: true,
      placementAddress: p2.address,
      heartbeatMs: 100,
      log: () => undefined,
    });
    try {
      const hb = await p2.waitFor((m) => m.msg?.$case === 'heartbeat');
      const v = hb.msg?.$case === 'heartbeat' ? hb.msg.value : undefined;
      expect(v?.ready).toBe(false);
      expect(v?.unreadyReason).toContain('ORCH-4016');
      expect(v?.slotsFree).toBe(0);
      const hz = await fetch(`http://127.0.0.1:${strict.port}/healthz`);
      expect(hz.status).toBe(503);
    } finally {
      await strict.close();
      await p2.close();
    }
  });
});

async function until(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

function expectSeed(taskId: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(taskId)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

describe('ORCH-2101: drain', () => {
  it('ORCH-2101: Drain turns the replica not-ready and refuses new Assigns; the running stream finishes', async () => {
    fake.script = { tokens: Array.from({ length: 10 }, (_, i) => `d${i}`), delayMs: 20 };
    const { leaseId, taskId } = await assignAndAccept();
    const reading = readSse(await stream(taskId, leaseId));
    placement.push({ cmd: { $case: 'drain', value: { deadlineMs: 0 } } });
    const hb = await placement.waitFor(
      (m) =>
        m.msg?.$case === 'heartbeat' &&
        !m.msg.value.ready &&
        m.msg.value.unreadyReason.includes('draining'),
    );
    expect(hb.msg?.$case === 'heartbeat' && hb.msg.value.slotsFree).toBe(0);
    placement.assign('lease-drained', { taskId: 'task-drained' });
    const { events } = await reading;
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { reason: 'stop', tokens_out: 10 } });
    await new Promise((r) => setTimeout(r, 200));
    // ORCH-4033: the drained replica answers the Assign with a refusal naming the drain.
    const answers = placement.messages.filter((m) => leaseOf(m)?.leaseId === 'lease-drained');
    expect(answers.map((m) => leaseOf(m)?.event)).toEqual([
      { $case: 'refused', value: { reason: 'draining', busy: false } },
    ]);
    expect((await stream('task-drained', 'lease-drained')).status).toBe(403);
  });

  it('ORCH-2101: Drain with resume (undrain) makes the replica Ready again and Assigns are accepted', async () => {
    placement.push({ cmd: { $case: 'drain', value: { deadlineMs: 0, resume: true } } });
    await until(() => sidecar.status().ready, 3000);
    const { leaseId, taskId } = await assignAndAccept();
    const { events } = await readSse(await stream(taskId, leaseId));
    expect(events.at(-1)?.event).toBe('end');
  });
});
