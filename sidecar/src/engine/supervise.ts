// Supervised mode: verify the model digest, launch the engine with its adapter's determinism
// flags, and wait (bounded) until it reports healthy (ORCH-3002, ORCH-3037, ORCH-4016).
import type { EngineAdapter, EngineLauncher, LaunchFacts } from '../adapters/types.js';
import { maskEnv } from './device-mask.js';
import { verifyModelDigest } from './digest.js';
import { captureOutput, EngineProcess } from './process.js';

interface SuperviseOptions {
  launcher: EngineLauncher;
  adapter: EngineAdapter;
  binary: string;
  modelPath: string;
  /** Expected sha256 of the model file (hex); launch is refused on mismatch. */
  modelDigest: string;
  host: string;
  port: number;
  ctx: number;
  threads: number;
  batch: number;
  ubatch: number;
  healthTimeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** ORCH-3001/3011: the replica's fixed device mask; undefined leaves the environment as is. */
  devices?: readonly string[];
  /** ORCH-3012: one ratio per device of a multi-GPU mask. */
  tensorSplit?: readonly number[];
}

interface SupervisedEngine {
  process: EngineProcess;
  launch: LaunchFacts;
  modelDigest: string;
}

export class EngineStartError extends Error {
  override readonly name = 'EngineStartError';
}

const POLL_MS = 200;

export async function startSupervisedEngine(o: SuperviseOptions): Promise<SupervisedEngine> {
  // A bad mask is refused before anything is spawned (throws DeviceMaskError).
  const env = o.devices
    ? maskEnv(
        { devices: o.devices, ...(o.tensorSplit ? { tensorSplit: o.tensorSplit } : {}) },
        o.env ?? process.env,
      )
    : o.env;
  const modelDigest = await verifyModelDigest(o.modelPath, o.modelDigest);
  const helpText = await captureOutput(o.binary, ['--help'], 15_000);
  const args = o.launcher.launchArgs({ ...o, helpText });
  const proc = new EngineProcess(o.binary, args, env);
  try {
    await waitHealthy(o.adapter, proc, o.healthTimeoutMs);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { process: proc, launch: { args, ctx: o.ctx }, modelDigest };
}

async function waitHealthy(
  adapter: EngineAdapter,
  proc: EngineProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no probe yet';
  while (Date.now() < deadline) {
    if (!proc.running) {
      throw new EngineStartError(`engine exited during startup:\n${proc.recentOutput()}`);
    }
    const h = await adapter.health();
    if (h.ready) return;
    last = h.reason ?? 'not ready';
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new EngineStartError(
    `engine not healthy within ${timeoutMs} ms (${last}):\n${proc.recentOutput()}`,
  );
}
