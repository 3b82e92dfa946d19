// Integration: the sidecar supervising the REAL llama-server with the real GGUF from the toolchain,
// driven by a fake placement gRPC server that pushes Assign / Cancel.
// CPU carve-out (ORCH-1101): inference on CPU is CI-only; production runs on NVIDIA GPUs.
import { validateSseTranscript } from '@llama-orch/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadToolchain } from '@llama-orch/tools';
import type { SidecarMessage } from '@llama-orch/proto';
import { startSidecar, type SidecarHandle } from '../src/sidecar.js';
import { startFakePlacement, type FakePlacement } from './support/fake-placement.js';
import { grammarViolations, readSse, type SseEvent } from './support/sse-client.js';

const LABEL = '[CI-only CPU carve-out, real llama-server]';
let placement: FakePlacement;
let sidecar: SidecarHandle;
let n = 0;

beforeAll(async () => {
  const tc = await loadToolchain();
  placement = await startFakePlacement();
  sidecar = await startSidecar({
    replicaId: 'r-real',
    poolId: 'pool-real',
    modelRef: tc.model.name,
    placementAddress: placement.address,
    supervise: {
      binary: tc.llamaServer.bin,
      modelPath: tc.model.path,
      modelDigest: tc.model.sha256,
      ctx: 2048,
      threads: 2,
      healthTimeoutMs: 120_000,
    },
    heartbeatMs: 500,
    restartPolicy: { initialBackoffMs: 200 },
    log: (m) => process.env.SIDECAR_TEST_LOG && console.log(m),
  });
  await placement.waitFor((m) => m.msg?.$case === 'heartbeat' && m.msg.value.ready, 30_000);
}, 240_000);

afterAll(async () => {
  await sidecar?.close();
  await placement?.close();
}, 30_000);

const leaseOf = (m: SidecarMessage) => (m.msg?.$case === 'lease' ? m.msg.value : undefined);

async function until(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

async function assign(task: {
  prompt: string;
  maxTokens: number;
  seed?: number;
  taskId?: string;
  promptFormat?: string;
}) {
  await until(() => sidecar.status().ready && sidecar.status().leases === 0, 10_000);
  n += 1;
  const leaseId = `real-lease-${n}`;
  const taskId = task.taskId ?? `real-task-${n}`;
  placement.assign(leaseId, { ...task, taskId }, { queuePosition: 0, predictedStartMs: 5 });
  await placement.waitFor(
    (m) => leaseOf(m)?.leaseId === leaseId && leaseOf(m)?.event?.$case === 'accepted',
  );
  return { leaseId, taskId };
}

function open(taskId: string, leaseId?: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${sidecar.port}/v1/tasks/${taskId}/stream`, {
    headers: leaseId ? { 'x-orch-lease-id': leaseId } : {},
  });
}

const text = (events: SseEvent[]): string =>
  events.flatMap((e) => (e.event === 'token' ? [String(e.data.t)] : [])).join('');

describe(`ORCH-4014: sidecar on real llama-server ${LABEL}`, () => {
  it(`ORCH-3032/4017: registers the real build, digest and a canary hash ${LABEL}`, async () => {
    const tc = await loadToolchain();
    const reg = await placement.waitFor((m) => m.msg?.$case === 'register');
    const r = reg.msg?.$case === 'register' ? reg.msg.value : undefined;
    expect(r?.engineVersion).toBe(tc.llamaServer.buildInfo);
    expect(r?.modelDigest).toBe(tc.model.sha256);
    expect(r?.canaryHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r?.ctxMax).toBe(2048);
    expect(sidecar.status().determinismReasons).toEqual([]);
  });

  it(`ORCH-2027: streams real tokens with correct framing and reports the outcome ${LABEL}`, async () => {
    const { leaseId, taskId } = await assign({ prompt: 'The sea is', maxTokens: 8, seed: 11 });
    const t0 = performance.now();
    const { events, raw } = await readSse(await open(taskId, leaseId), undefined, 90_000);
    expect(grammarViolations(events)).toEqual([]);
    expect(validateSseTranscript(raw).issues).toEqual([]);
    expect(
      raw.startsWith(
        'id: 0\nevent: started\ndata: {"queue_position":0,"predicted_start_ms":5}\n\n',
      ),
    ).toBe(true);
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThan(0);
    const end = events.at(-1);
    expect(end?.event).toBe('end');
    expect(end?.data.tokens_out).toBe(8);
    expect(end?.data.reason).toBe('length');
    const fin = await placement.waitFor(
      (m) => leaseOf(m)?.leaseId === leaseId && leaseOf(m)?.event?.$case === 'finished',
    );
    const f = leaseOf(fin)?.event;
    expect(f?.$case === 'finished' && f.value).toMatchObject({ reason: 'length', tokensOut: 8 });
    const ttft = (tokens[0]?.at ?? 0) - 0;
    const dur = performance.now() - t0;
    console.log(
      `${LABEL} ttft≈${ttft.toFixed(0)} ms, ${tokens.length} tokens in ${dur.toFixed(0)} ms: "${text(events)}"`,
    );
  }, 120_000);

  it(`ORCH-3045/3091: same task seed twice → byte-identical text ${LABEL}`, async () => {
    const runs: string[] = [];
    for (let k = 0; k < 2; k++) {
      // No explicit seed: the sidecar derives it from the (shared) task id, like placement would.
      const { leaseId, taskId } = await assign({
        prompt: 'Once upon a time',
        maxTokens: 8,
        taskId: 'same-task-id',
      });
      const { events, raw } = await readSse(await open(taskId, leaseId), undefined, 90_000);
      expect(validateSseTranscript(raw).issues).toEqual([]);
      expect(events.at(-1)?.event).toBe('end');
      runs.push(text(events));
    }
    console.log(`${LABEL} seeded run: ${JSON.stringify(runs[0])}`);
    expect(runs[0]?.length).toBeGreaterThan(0);
    expect(runs[1]).toBe(runs[0]);
  }, 200_000);

  it(`ORCH-3102: prompt_format chat renders the GGUF's own template, decodes byte-identically ${LABEL}`, async () => {
    const finished = async (leaseId: string) => {
      const fin = await placement.waitFor(
        (m) => leaseOf(m)?.leaseId === leaseId && leaseOf(m)?.event?.$case === 'finished',
      );
      const f = leaseOf(fin)?.event;
      return f?.$case === 'finished' ? f.value : undefined;
    };
    const runs: { text: string; tokensIn: number }[] = [];
    for (const promptFormat of ['raw', 'chat', 'chat']) {
      const { leaseId, taskId } = await assign({
        prompt: 'Name a colour.',
        maxTokens: 8,
        seed: 21,
        promptFormat,
      });
      const { events, raw } = await readSse(await open(taskId, leaseId), undefined, 90_000);
      expect(validateSseTranscript(raw).issues).toEqual([]);
      expect(events.at(-1)?.event).toBe('end');
      runs.push({ text: text(events), tokensIn: (await finished(leaseId))?.tokensIn ?? 0 });
    }
    const [raw, chat1, chat2] = runs;
    console.log(`${LABEL} raw ${JSON.stringify(raw)} chat ${JSON.stringify(chat1)}`);
    // The template wraps the prompt in role markers (and the model's default system turn).
    expect(chat1?.tokensIn).toBeGreaterThan((raw?.tokensIn ?? 0) + 4);
    expect(chat1?.text.length).toBeGreaterThan(0);
    expect(chat2).toEqual(chat1);
  }, 200_000);

  it(`ORCH-4012: a request without a lease is refused with 403 LEASE_INVALID ${LABEL}`, async () => {
    const res = await open('no-such-task');
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'LEASE_INVALID' });
  });

  it(`ORCH-4013/3026: cancel mid-stream → end{canceled} promptly, no later token ${LABEL}`, async () => {
    const { leaseId, taskId } = await assign({
      prompt: '1, 2, 3, 4, 5, 6, 7,',
      maxTokens: 64,
      seed: 3,
    });
    let cancelAt = -1;
    const { events, raw } = await readSse(
      await open(taskId, leaseId),
      (ev, all) => {
        if (
          ev.event === 'token' &&
          cancelAt < 0 &&
          all.filter((e) => e.event === 'token').length === 2
        ) {
          cancelAt = ev.at;
          placement.cancel(leaseId, taskId);
        }
      },
      90_000,
    );
    expect(grammarViolations(events)).toEqual([]);
    expect(validateSseTranscript(raw).issues).toEqual([]);
    const end = events.at(-1);
    expect(end).toMatchObject({ event: 'end', data: { reason: 'canceled' } });
    const lag = (end?.at ?? 0) - cancelAt;
    console.log(`${LABEL} cancel → end{canceled} in ${lag.toFixed(0)} ms`);
    expect(lag).toBeLessThan(1000);
    const idx = events.indexOf(end as SseEvent);
    expect(events.slice(idx + 1)).toEqual([]);
    // The slot must be confirmed idle (lease released) and the replica stay Ready.
    await until(() => sidecar.status().leases === 0, 5000);
    expect(sidecar.status()).toMatchObject({ leases: 0, ready: true });
  }, 120_000);

  it(`ORCH-2028/3038: killing llama-server mid-stream → error{WORKER_RESET} within 1 s, replica unready ${LABEL}`, async () => {
    const { leaseId, taskId } = await assign({
      prompt: '1, 2, 3, 4, 5, 6, 7,',
      maxTokens: 64,
      seed: 5,
    });
    let killAt = -1;
    const { events, raw } = await readSse(
      await open(taskId, leaseId),
      (ev) => {
        if (ev.event === 'token' && killAt < 0) {
          killAt = ev.at;
          sidecar.engineProcess?.kill();
        }
      },
      30_000,
    );
    expect(grammarViolations(events)).toEqual([]);
    expect(validateSseTranscript(raw).issues).toEqual([]);
    const last = events.at(-1);
    expect(last).toMatchObject({
      event: 'error',
      data: { code: 'WORKER_RESET', retriable: true, engine: 'llamacpp' },
    });
    const lag = (last?.at ?? 0) - killAt;
    console.log(`${LABEL} kill → error{WORKER_RESET} in ${lag.toFixed(0)} ms`);
    expect(lag).toBeLessThan(1000);
    await until(() => !sidecar.status().ready, 2000);
    expect(sidecar.status().ready).toBe(false);
    expect(sidecar.status().reason).toMatch(/engine/);
    const hb = await placement.waitFor(
      (m) => m.msg?.$case === 'heartbeat' && !m.msg.value.ready,
      5000,
    );
    expect(hb.msg?.$case === 'heartbeat' && hb.msg.value.unreadyReason).toMatch(/engine/);
  }, 60_000);

  it(`ORCH-3038: the crashed engine is restarted, re-verified (same canary) and the replica is Ready again ${LABEL}`, async () => {
    const t0 = Date.now();
    await until(() => sidecar.status().ready, 120_000);
    expect(sidecar.status()).toMatchObject({ ready: true, reason: '' });
    console.log(`${LABEL} engine restarted and Ready again after ${Date.now() - t0} ms`);
    const metrics = await (await fetch(`http://127.0.0.1:${sidecar.port}/metrics`)).text();
    expect(metrics).toMatch(/sidecar_engine_restarts_total\{[^}]*replica_id="r-real"\} 1/);
    expect(metrics).toMatch(/sidecar_engine_up\{[^}]*\} 1/);
    const { leaseId, taskId } = await assign({ prompt: 'The sea is', maxTokens: 4, seed: 11 });
    const { events } = await readSse(await open(taskId, leaseId), undefined, 90_000);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { tokens_out: 4 } });
  }, 150_000);
});
