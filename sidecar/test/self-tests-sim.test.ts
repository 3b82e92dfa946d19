// Every startup self-test failure path against a real supervised engine process (the engine-sim
// llama-server shim, launched through the llama.cpp launcher): the sidecar stays up, registers,
// and heartbeats ready=false with `self-test <step>: <detail>` (ORCH-3049, ORCH-3002, ORCH-3037).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimDirective } from '@llama-orch/test-harness/engine-sim';
import { startSidecar } from '../src/sidecar.js';
import { startFakePlacement } from './support/fake-placement.js';
import { heartbeatWhere, registerOf, simWorkspace, type SimWorkspace } from './sim-engine.js';

let ws: SimWorkspace;
beforeAll(async () => {
  ws = await simWorkspace();
});
afterAll(async () => {
  await ws?.remove();
});

/** Starts a sidecar on a model with `directives`; returns the first heartbeat and /healthz. */
async function startOn(directives: SimDirective[], digest?: string) {
  const model = await ws.model(`m-${directives.join('-') || 'ok'}`, directives);
  const placement = await startFakePlacement();
  const t0 = Date.now();
  const sc = await startSidecar({
    replicaId: 'r-selftest',
    poolId: 'p',
    modelRef: model.ref,
    supervise: {
      binary: ws.binary,
      modelPath: model.path,
      modelDigest: digest ?? model.digest,
      ctx: 2048,
      threads: 1,
      healthTimeoutMs: 15_000,
    },
    placementAddress: placement.address,
    heartbeatMs: 100,
    selfTestCancelDeadlineMs: 1500,
    log: (m) => process.env.SIDECAR_TEST_LOG && console.log(m),
  });
  const startMs = Date.now() - t0;
  try {
    const reg = registerOf(await placement.waitFor((m) => m.msg?.$case === 'register', 10_000));
    const hb = await heartbeatWhere(placement, () => true, 10_000);
    const health = await fetch(`http://127.0.0.1:${sc.port}/healthz`);
    return {
      reg,
      hb,
      health: { status: health.status, body: (await health.json()) as { reason: string } },
      status: sc.status(),
      engineRunning: sc.engineProcess?.running ?? false,
      startMs,
      model,
    };
  } finally {
    await sc.close();
    await placement.close();
  }
}

/** A sidecar whose supervised engine reads its faults from `faults` at every start. */
function startWithFaultsFile(
  model: { ref: string; path: string; digest: string },
  faults: string,
  placementAddress: string,
  replicaId: string,
  maxRestarts: number,
) {
  return startSidecar({
    replicaId,
    poolId: 'p',
    modelRef: model.ref,
    supervise: {
      binary: ws.binary,
      modelPath: model.path,
      modelDigest: model.digest,
      ctx: 2048,
      threads: 1,
      healthTimeoutMs: 15_000,
      env: { ...process.env, ENGINE_SIM_FAULTS_FILE: faults },
    },
    placementAddress,
    heartbeatMs: 100,
    restartPolicy: { initialBackoffMs: 300, maxBackoffMs: 600, maxRestarts },
    log: (m) => process.env.SIDECAR_TEST_LOG && console.log(m),
  });
}

describe('ORCH-3049: startup self-tests on a supervised engine', () => {
  it('ORCH-3049/3002: a healthy model passes launch, preload, decode, cancel and telemetry and turns Ready', async () => {
    const r = await startOn([]);
    expect(r.hb).toMatchObject({ ready: true, unreadyReason: '' });
    expect(r.health.status).toBe(200);
    expect(r.reg?.modelDigest).toBe(r.model.digest.slice('sha256:'.length));
    expect(r.reg?.canaryHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.reg?.engineVersion.startsWith('sim-')).toBe(true);
    // Strict determinism holds: the shim was launched with the full recipe.
    expect(r.status.determinismReasons).toEqual([]);
    console.log(`healthy supervised sim: Ready after ${r.startMs} ms`);
  });

  it('ORCH-3037: a corrupt artifact (digest mismatch) stays Unready at self-test preload naming both digests; no engine started', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const r = await startOn([], wrong);
    expect(r.hb.ready).toBe(false);
    expect(r.hb.unreadyReason).toMatch(/^self-test preload: UNTRUSTED_ARTIFACT/);
    expect(r.hb.unreadyReason).toContain(wrong);
    expect(r.hb.unreadyReason).toContain(r.model.digest);
    expect(r.health).toMatchObject({ status: 503 });
    expect(r.health.body.reason).toBe(r.hb.unreadyReason);
    expect(r.engineRunning).toBe(false);
  });

  it('ORCH-3049: an engine that cannot start is Unready at self-test launch (retried: see below)', async () => {
    const r = await startOn(['exit-at-start']);
    expect(r.hb.ready).toBe(false);
    expect(r.hb.unreadyReason).toMatch(/^self-test launch: engine exited during startup/);
    // The engine's own last words say why.
    expect(r.hb.unreadyReason).toContain('(sim exit-at-start)');
  });

  it('ORCH-3049: an engine that cannot decode stays Unready at self-test decode', async () => {
    const r = await startOn(['no-decode']);
    expect(r.hb.ready).toBe(false);
    expect(r.hb.unreadyReason).toMatch(/^self-test decode: canary failed/);
    expect(r.engineRunning).toBe(false);
  });

  it('ORCH-3049: an engine that ignores cancel stays Unready at self-test cancel', async () => {
    const r = await startOn(['ignore-cancel']);
    expect(r.hb.ready).toBe(false);
    expect(r.hb.unreadyReason).toMatch(
      /^self-test cancel: engine slot still busy 1500 ms after abort/,
    );
  });

  it('ORCH-3049: an engine without metrics, or with garbage metrics, stays Unready at self-test telemetry', async () => {
    const missing = await startOn(['no-telemetry']);
    expect(missing.hb.ready).toBe(false);
    expect(missing.hb.unreadyReason).toMatch(
      /^self-test telemetry: engine \/metrics answered HTTP 404/,
    );
    const garbage = await startOn(['garbage-telemetry']);
    expect(garbage.hb.ready).toBe(false);
    expect(garbage.hb.unreadyReason).toMatch(
      /^self-test telemetry: engine \/metrics has no llamacpp:tokens_predicted_total/,
    );
  });

  it('ORCH-3003/3038: an engine that did not start is retried with backoff and turns Ready once it starts; past the budget restart_storm', async () => {
    const model = await ws.model('m-late-start');
    const faults = join(ws.dir, 'late-start.faults');
    await writeFile(faults, 'exit-at-start\n');
    const placement = await startFakePlacement();
    const start = (maxRestarts: number) =>
      startWithFaultsFile(model, faults, placement.address, 'r-late', maxRestarts);
    const late = await start(20);
    try {
      const down = await heartbeatWhere(placement, () => true, 10_000);
      expect(down.unreadyReason).toMatch(/^self-test launch: engine exited during startup/);
      await writeFile(faults, '');
      await heartbeatWhere(placement, (hb) => hb.ready, 30_000);
      expect(late.restarts).toBeGreaterThanOrEqual(1);
      // The first Register carried an unidentified engine; recovery re-registers with the real one.
      const regs = placement.messages.map(registerOf).filter((r) => r !== undefined);
      expect(regs[0]).toMatchObject({ engineVersion: 'unknown', canaryHash: '' });
      expect(regs.at(-1)?.canaryHash).toMatch(/^[0-9a-f]{64}$/);
      expect(regs.at(-1)?.engineVersion.startsWith('sim-')).toBe(true);
    } finally {
      await late.close();
    }
    await writeFile(faults, 'exit-at-start\n');
    const mark = placement.messages.length;
    const never = await start(2);
    try {
      const storm = await heartbeatWhere(
        placement,
        (hb) => hb.unreadyReason.startsWith('restart_storm'),
        30_000,
        mark,
      );
      expect(storm.unreadyReason).toContain('engine did not start after 2 retries');
      expect(never.restarts).toBe(2);
    } finally {
      await never.close();
      await placement.close();
    }
  }, 90_000);

  it('ORCH-3049/3003: a self-test probe that times out (an engine too busy to answer) is retried, not left Unready', async () => {
    const model = await ws.model('m-slow-probe');
    const faults = join(ws.dir, 'slow-probe.faults');
    await writeFile(faults, 'stall-telemetry\n');
    const placement = await startFakePlacement();
    const sc = await startWithFaultsFile(model, faults, placement.address, 'r-slow-probe', 20);
    try {
      const down = await heartbeatWhere(
        placement,
        (hb) => hb.unreadyReason.startsWith('self-test telemetry'),
        15_000,
      );
      expect(down.unreadyReason).toMatch(/^self-test telemetry: .*aborted/);
      await writeFile(faults, '');
      await heartbeatWhere(placement, (hb) => hb.ready, 30_000);
      expect(sc.restarts).toBeGreaterThanOrEqual(1);
    } finally {
      await sc.close();
      await placement.close();
    }
  }, 60_000);
});
