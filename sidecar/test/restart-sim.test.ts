// Crash restarts with a real sidecar process supervising the engine-sim llama-server shim
// (ORCH-3038, ORCH-3053): a killed engine makes the replica Unready at once, is restarted with
// backoff and turns Ready again, counted in sidecar_engine_restarts_total; an engine that keeps
// crashing exhausts the restart budget and the replica stays Unready as `restart_storm`.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLogWriter } from '@llama-orch/tools';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/engine/free-port.js';
import { startFakePlacement, type FakePlacement } from './support/fake-placement.js';
import {
  heartbeatWhere,
  simWorkspace,
  type SimModelFile,
  type SimWorkspace,
} from './sim-engine.js';

const SIDECAR_DIR = fileURLToPath(new URL('..', import.meta.url));
const RESTART_MAX = 3;

let ws: SimWorkspace;
const running: { proc: ChildProcess; placement: FakePlacement; output: string[] }[] = [];

beforeAll(async () => {
  ws = await simWorkspace();
});
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.proc.kill('SIGTERM');
    await new Promise((res) => {
      if (r.proc.exitCode !== null) return res(undefined);
      const t = setTimeout(() => r.proc.kill('SIGKILL'), 5000);
      r.proc.once('exit', () => (clearTimeout(t), res(undefined)));
    });
    await r.placement.close();
  }
});
afterAll(async () => {
  await ws?.remove();
});

async function startSidecarProcess(model: SimModelFile, env: Record<string, string> = {}) {
  const placement = await startFakePlacement();
  const port = await freePort();
  const enginePort = await freePort();
  const args = [
    '--import',
    'tsx',
    'src/main.ts',
    ...['--replica-id', 'r-crash', '--pool-id', 'p', '--model-ref', model.ref],
    ...['--port', String(port), '--placement', placement.address],
    ...['--supervise', '--engine-binary', ws.binary, '--model-path', model.path],
    ...['--model-digest', model.digest, '--engine-port', String(enginePort)],
    ...['--ctx', '2048', '--threads', '1'],
    ...['--restart-initial-ms', '200', '--restart-max-ms', '1000'],
    ...['--restart-max', String(RESTART_MAX), '--restart-window-ms', '60000'],
  ];
  const proc = spawn(process.execPath, args, {
    cwd: SIDECAR_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  // ORCH-3141: and into the run's log directory, which the key scan searches.
  const runLog = runLogWriter('restart-sim-sidecar');
  const keep = (b: Buffer): void => {
    output.push(b.toString());
    runLog?.(b.toString());
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  running.push({ proc, placement, output });
  const restarts = async (): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /^sidecar_engine_restarts_total\{[^}]*\} (\d+)/m.exec(text);
    return Number(m?.[1] ?? NaN);
  };
  return { placement, port, engineUrl: `http://127.0.0.1:${enginePort}`, restarts, output };
}

describe('ORCH-3038/3053: crash restarts of a supervised engine (real sidecar process)', () => {
  it('ORCH-3038: a killed engine turns the replica Unready at once, is restarted with backoff and turns Ready again', async () => {
    const model = await ws.model('sim-crash-once');
    const s = await startSidecarProcess(model);
    await heartbeatWhere(s.placement, (hb) => hb.ready, 30_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${s.output.join('')}`);
    });
    expect(await s.restarts()).toBe(0);
    const mark = s.placement.messages.length;
    const killedAt = Date.now();
    await fetch(`${s.engineUrl}/sim/crash`, { method: 'POST' });
    const down = await heartbeatWhere(s.placement, (hb) => !hb.ready, 5000, mark);
    const unreadyMs = Date.now() - killedAt;
    expect(down.unreadyReason).toMatch(/engine: engine exited \(code 70/);
    expect(down.slotsFree).toBe(0);
    const downAt = s.placement.messages.length;
    await heartbeatWhere(s.placement, (hb) => hb.ready, 20_000, downAt);
    const readyMs = Date.now() - killedAt;
    expect(await s.restarts()).toBe(1);
    console.log(`engine killed → Unready heartbeat ${unreadyMs} ms, Ready again ${readyMs} ms`);
    // "At once": a heartbeat goes out when the engine exits, not at the next 1 s beat.
    expect(unreadyMs).toBeLessThan(500);
  }, 60_000);

  it('ORCH-3053: an engine that dies on every start exhausts the budget and stays Unready as restart_storm until a reload', async () => {
    const model = await ws.model('sim-crash-loop');
    // Read by the shim at every start: empty now (healthy), `exit-at-start` once written.
    const faults = join(ws.dir, 'crash-loop.faults');
    const s = await startSidecarProcess(model, { ENGINE_SIM_FAULTS_FILE: faults });
    await heartbeatWhere(s.placement, (hb) => hb.ready, 30_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${s.output.join('')}`);
    });
    await writeFile(faults, 'exit-at-start\n');
    await fetch(`${s.engineUrl}/sim/crash`, { method: 'POST' });
    const storm = await heartbeatWhere(
      s.placement,
      (hb) => hb.unreadyReason.startsWith('restart_storm'),
      45_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${s.output.join('').slice(-3000)}`);
    });
    expect(storm.ready).toBe(false);
    expect(storm.unreadyReason).toContain(`engine restart budget exhausted (${RESTART_MAX} in`);
    expect(await s.restarts()).toBe(RESTART_MAX);
    // No more restarts afterwards: the count stays put and the replica stays Unready.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await s.restarts()).toBe(RESTART_MAX);
    const last = s.placement.messages.filter((m) => m.msg?.$case === 'heartbeat').at(-1);
    expect(last?.msg?.$case === 'heartbeat' && last.msg.value.unreadyReason).toMatch(
      /^restart_storm: /,
    );
    // ORCH-3053: "until an operator reloads": a Reload (the engine fixed) brings it back.
    await writeFile(faults, '');
    const mark = s.placement.messages.length;
    s.placement.push({
      cmd: {
        $case: 'reload',
        value: {
          newModelRef: model.ref,
          newModelPath: model.path,
          newModelDigest: model.digest,
          reloadId: 'after-storm',
        },
      },
    });
    const res = await s.placement.waitFor(
      (m) => m.msg?.$case === 'reloadResult' && m.msg.value.reloadId === 'after-storm',
      30_000,
    );
    expect(res.msg?.$case === 'reloadResult' && res.msg.value.ok).toBe(true);
    await heartbeatWhere(s.placement, (hb) => hb.ready, 15_000, mark);
  }, 120_000);
});
