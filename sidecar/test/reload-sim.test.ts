// Reload at sidecar level (ORCH-2102, ORCH-3031, ORCH-3049): a fake placement sends Reload to a
// sidecar supervising the engine-sim shim. Success: ReloadResult ok, a fresh Register with the new
// digest and canary hash, metrics relabelled. Failure: ReloadResult with the failing step, the
// replica Unready with `self-test <step>: ...` and its engine stopped; the rollback Reload works
// the same way and restores the first identity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Register, ReloadResult } from '@llama-orch/proto';
import { startSidecar, type SidecarHandle } from '../src/sidecar.js';
import { startFakeLlama, type FakeLlama } from './support/fake-llama-server.js';
import { startFakePlacement, type FakePlacement } from './support/fake-placement.js';
import { readSse } from './support/sse-client.js';
import {
  heartbeatWhere,
  registerOf,
  reloadResultOf,
  simWorkspace,
  type SimModelFile,
  type SimWorkspace,
} from './sim-engine.js';

let ws: SimWorkspace;
let placement: FakePlacement;
let sc: SidecarHandle;
let a: SimModelFile;
let b: SimModelFile;
let bad: SimModelFile;
let first: Register;
const wallMs: Record<string, number> = {};

beforeAll(async () => {
  ws = await simWorkspace();
  a = await ws.model('sim-a');
  b = await ws.model('sim-b');
  bad = await ws.model('sim-bad', ['no-decode']);
  placement = await startFakePlacement();
  sc = await startSidecar({
    replicaId: 'r-reload',
    poolId: 'p',
    modelRef: a.ref,
    supervise: {
      binary: ws.binary,
      modelPath: a.path,
      modelDigest: a.digest,
      ctx: 2048,
      threads: 1,
      healthTimeoutMs: 15_000,
    },
    placementAddress: placement.address,
    heartbeatMs: 100,
    backoffInitialMs: 50,
    log: (m) => process.env.SIDECAR_TEST_LOG && console.log(m),
  });
  first = registerOf(await placement.waitFor((m) => m.msg?.$case === 'register')) as Register;
  await heartbeatWhere(placement, (hb) => hb.ready, 10_000);
}, 60_000);

afterAll(async () => {
  await sc?.close();
  await placement?.close();
  await ws?.remove();
  console.log(`reload wall time per replica (ms): ${JSON.stringify(wallMs)}`);
});

/** Sends Reload to `m` and waits for its ReloadResult and what follows. */
async function reload(m: SimModelFile, id: string, digest = m.digest) {
  const mark = placement.messages.length;
  const t0 = Date.now();
  placement.push({
    cmd: {
      $case: 'reload',
      value: { newModelRef: m.ref, newModelPath: m.path, newModelDigest: digest, reloadId: id },
    },
  });
  const res = reloadResultOf(
    await placement.waitFor((x) => reloadResultOf(x)?.reloadId === id, 30_000),
  ) as ReloadResult;
  wallMs[id] = Date.now() - t0;
  const after = () => placement.messages.slice(mark);
  return { res, after, mark };
}

async function metricsText(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${sc.port}/metrics`)).text();
}

describe('ORCH-2102/3031: Reload on a supervised sidecar', () => {
  it('ORCH-2102: reload to model B answers ok, re-registers with B digest and a new canary hash, relabels metrics', async () => {
    const oldPid = sc.engineProcess?.pid;
    placement.push({ cmd: { $case: 'drain', value: { deadlineMs: 0 } } });
    const { res, mark } = await reload(b, 'reload-b');
    expect(res).toMatchObject({ ok: true, failedStep: '', modelRef: b.ref, modelDigest: b.digest });
    const reg = registerOf(
      await placement.waitFor(
        (x) => registerOf(x) !== undefined && placement.messages.indexOf(x) > mark,
        10_000,
      ),
    ) as Register;
    expect(reg.modelRef).toBe(b.ref);
    expect(reg.modelDigest).toBe(b.digest.slice('sha256:'.length));
    expect(reg.canaryHash).toMatch(/^[0-9a-f]{64}$/);
    expect(reg.canaryHash).not.toBe(first.canaryHash);
    expect(reg.engineVersion).toBe(first.engineVersion);
    // The drain that preceded the reload is over: the replica is Ready on B.
    await heartbeatWhere(placement, (hb) => hb.ready, 10_000, mark);
    expect(sc.status()).toMatchObject({ ready: true, modelRef: b.ref, reloading: false });
    expect(sc.engineProcess?.pid).not.toBe(oldPid);
    const text = await metricsText();
    expect(text).toContain(`model_digest="${b.digest}"`);
    expect(text).not.toContain(`model_digest="${a.digest}"`);
    expect(text).toContain(`canary_hash="${reg.canaryHash}"`);
  }, 60_000);

  it('ORCH-3031/3049: reload to a model that cannot decode fails at decode; Unready with the step, engine stopped, no re-Register', async () => {
    const { res, after, mark } = await reload(bad, 'reload-bad');
    expect(res).toMatchObject({ ok: false, failedStep: 'decode', modelRef: '', modelDigest: '' });
    expect(res.message).toMatch(/^self-test decode: /);
    const hb = await heartbeatWhere(
      placement,
      (h) => !h.ready && h.unreadyReason.startsWith('self-test decode:'),
      5000,
      mark,
    );
    expect(hb.slotsFree).toBe(0);
    expect(sc.engineProcess).toBeUndefined();
    expect(after().some((x) => registerOf(x) !== undefined)).toBe(false);
    // Assigns are refused while Unready.
    expect(sc.status().ready).toBe(false);
  }, 60_000);

  it('ORCH-3037: reload with a digest that does not match the file fails at preload naming both digests', async () => {
    const wrong = `sha256:${'1'.repeat(64)}`;
    const { res } = await reload(b, 'reload-corrupt', wrong);
    expect(res).toMatchObject({ ok: false, failedStep: 'preload' });
    expect(res.message).toContain(wrong);
    expect(res.message).toContain(b.digest);
    expect(sc.status().reason).toMatch(/^self-test preload: UNTRUSTED_ARTIFACT/);
  }, 60_000);

  it('ORCH-3033: the rollback reload to model A restores the first identity and Ready', async () => {
    const { res, mark } = await reload(a, 'rollback-a');
    expect(res).toMatchObject({ ok: true, modelRef: a.ref, modelDigest: a.digest });
    const reg = registerOf(
      await placement.waitFor(
        (x) => registerOf(x) !== undefined && placement.messages.indexOf(x) > mark,
        10_000,
      ),
    ) as Register;
    expect(reg).toMatchObject({
      modelRef: a.ref,
      modelDigest: first.modelDigest,
      canaryHash: first.canaryHash,
    });
    await heartbeatWhere(placement, (hb) => hb.ready, 10_000, mark);
    expect(await metricsText()).toContain(`model_digest="${a.digest}"`);
  }, 60_000);
});

describe('ORCH-2102: Reload lets running leases finish first', () => {
  it('ORCH-2102: a held lease is served to its end before the engine stops; Assigns during the reload are refused', async () => {
    await heartbeatWhere(placement, (hb) => hb.ready, 10_000, placement.messages.length - 1);
    const isEvent = (leaseId: string, ev: string) => (x: (typeof placement.messages)[number]) =>
      x.msg?.$case === 'lease' &&
      x.msg.value.leaseId === leaseId &&
      x.msg.value.event?.$case === ev;
    placement.assign('held', { taskId: 't-held', maxTokens: 8, prompt: 'one more story' });
    await placement.waitFor(isEvent('held', 'accepted'));
    const mark = placement.messages.length;
    placement.push({
      cmd: {
        $case: 'reload',
        value: {
          newModelRef: b.ref,
          newModelPath: b.path,
          newModelDigest: b.digest,
          reloadId: 'r-held',
        },
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(sc.status()).toMatchObject({ reloading: true, ready: false });
    expect(sc.status().reason).toMatch(/^reloading: loading sim-b/);
    placement.assign('during', { taskId: 't-during' });
    // The held lease still streams on the old engine, to its natural end.
    const res = await fetch(`http://127.0.0.1:${sc.port}/v1/tasks/t-held/stream`, {
      headers: { 'x-orch-lease-id': 'held' },
    });
    const { events } = await readSse(res);
    expect(events.at(-1)?.event).toBe('end');
    const result = reloadResultOf(
      await placement.waitFor((x) => reloadResultOf(x)?.reloadId === 'r-held', 30_000),
    );
    expect(result?.ok).toBe(true);
    const after = placement.messages.slice(mark);
    const finishedAt = after.findIndex(isEvent('held', 'finished'));
    const resultAt = after.findIndex((x) => reloadResultOf(x)?.reloadId === 'r-held');
    expect(finishedAt).toBeGreaterThanOrEqual(0);
    expect(finishedAt).toBeLessThan(resultAt);
    expect(after.some(isEvent('during', 'accepted'))).toBe(false);
  }, 60_000);
});

describe('ORCH-2102: Reload on a sidecar attached to an external engine', () => {
  let fake: FakeLlama;
  let ext: SidecarHandle;
  let fp: FakePlacement;
  afterAll(async () => {
    await ext?.close();
    await fp?.close();
    await fake?.close();
  });

  it('ORCH-2102: answers ok=false at launch (the engine is not ours to replace); a reload to what it serves is a no-op success', async () => {
    fake = await startFakeLlama({ tokens: ['a', 'b'] });
    fp = await startFakePlacement();
    ext = await startSidecar({
      replicaId: 'r-ext',
      poolId: 'p',
      modelRef: 'ext-model',
      external: { baseUrl: fake.baseUrl, modelDigest: 'ab'.repeat(32) },
      determinismStrict: false,
      placementAddress: fp.address,
      heartbeatMs: 100,
      log: () => undefined,
    });
    await heartbeatWhere(fp, (hb) => hb.ready, 10_000);
    const send = (ref: string, digest: string, id: string) =>
      fp.push({
        cmd: {
          $case: 'reload',
          value: {
            newModelRef: ref,
            newModelPath: '/x.gguf',
            newModelDigest: digest,
            reloadId: id,
          },
        },
      });
    send('other', `sha256:${'cd'.repeat(32)}`, 'x1');
    const r1 = reloadResultOf(await fp.waitFor((x) => reloadResultOf(x)?.reloadId === 'x1'));
    expect(r1).toMatchObject({
      ok: false,
      failedStep: 'launch',
      message: "external engine: reload must be done by the engine's owner",
    });
    expect(ext.status().ready).toBe(true);
    send('ext-model', `sha256:${'ab'.repeat(32)}`, 'x2');
    const r2 = reloadResultOf(await fp.waitFor((x) => reloadResultOf(x)?.reloadId === 'x2'));
    expect(r2).toMatchObject({
      ok: true,
      modelRef: 'ext-model',
      modelDigest: `sha256:${'ab'.repeat(32)}`,
    });
  }, 30_000);
});
