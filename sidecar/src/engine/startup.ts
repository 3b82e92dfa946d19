// Brings the engine to a known state before the replica may become Ready (ORCH-3002, ORCH-3049):
// launch (supervised) or reach (external) the engine, identify it, check determinism, run the
// canary. Failures of the checks become unready reasons, not crashes; only a refused launch
// (bad digest, engine will not start) throws.
import type {
  AdapterFactoryOptions,
  AdapterModule,
  DeterminismReport,
  EngineAdapter,
  EngineIdentity,
  LaunchFacts,
} from '../adapters/types.js';
import { identityHash, runCancelSelfTest, runCanary } from './canary.js';
import { sha256File } from './digest.js';
import { freePort } from './free-port.js';
import type { EngineProcess } from './process.js';
import { EngineStartError, startSupervisedEngine } from './supervise.js';

export interface SupervisedEngineOptions {
  binary: string;
  modelPath: string;
  /** Expected sha256 (hex) of modelPath; launch is refused on mismatch (ORCH-5002). */
  modelDigest: string;
  /** Engine port; 0 or undefined picks a free loopback port. */
  port?: number;
  ctx: number;
  threads: number;
  batch?: number;
  ubatch?: number;
  healthTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface ExternalEngineOptions {
  baseUrl: string;
  /** Digest to report; computed from modelPath when absent and a path is given. */
  modelDigest?: string;
  modelPath?: string;
  healthTimeoutMs?: number;
  /** Engine-specific adapter options (served model, metrics URL, declared properties). */
  adapter?: Omit<AdapterFactoryOptions, 'baseUrl'>;
}

export interface EngineStartup {
  adapter: EngineAdapter;
  baseUrl: string;
  identity: EngineIdentity;
  determinism: DeterminismReport;
  canary: { hash: string; error?: string; ms: number };
  modelDigest: string;
  launch?: LaunchFacts;
  process?: EngineProcess;
  /** Supervised mode: launches a fresh engine with the same options (digest re-verified). */
  relaunch?: () => Promise<EngineProcess>;
}

export async function bringUpEngine(
  mod: AdapterModule,
  opts: { supervise?: SupervisedEngineOptions; external?: ExternalEngineOptions; canary: boolean },
): Promise<EngineStartup> {
  let adapter: EngineAdapter;
  let baseUrl: string;
  let launch: LaunchFacts | undefined;
  let proc: EngineProcess | undefined;
  let modelDigest = '';
  let relaunch: (() => Promise<EngineProcess>) | undefined;
  if (opts.supervise) {
    const s = opts.supervise;
    if (!mod.launcher)
      throw new EngineStartError(`engine ${mod.engine} cannot be supervised (no launcher)`);
    const port = s.port || (await freePort());
    baseUrl = `http://127.0.0.1:${port}`;
    adapter = mod.create({ baseUrl });
    const launchOpts = {
      launcher: mod.launcher,
      adapter,
      binary: s.binary,
      modelPath: s.modelPath,
      modelDigest: s.modelDigest,
      host: '127.0.0.1',
      port,
      ctx: s.ctx,
      threads: s.threads,
      batch: s.batch ?? 2048,
      ubatch: s.ubatch ?? 512,
      healthTimeoutMs: s.healthTimeoutMs ?? 120_000,
      env: s.env,
    };
    relaunch = async () => (await startSupervisedEngine(launchOpts)).process;
    const started = await startSupervisedEngine(launchOpts);
    launch = started.launch;
    proc = started.process;
    modelDigest = started.modelDigest;
  } else if (opts.external) {
    const e = opts.external;
    baseUrl = e.baseUrl;
    adapter = mod.create({ ...e.adapter, baseUrl });
    await waitExternalHealthy(adapter, e.healthTimeoutMs ?? 30_000);
    modelDigest = e.modelDigest ?? (e.modelPath ? await sha256File(e.modelPath) : '');
  } else {
    throw new EngineStartError('either supervise or external engine options are required');
  }
  try {
    const identity = await adapter.identify();
    const determinism = await adapter.checkDeterminism(launch);
    const canary = await canaryOrReason(adapter, opts.canary, launch);
    return {
      adapter,
      baseUrl,
      identity,
      determinism,
      canary,
      modelDigest,
      launch,
      process: proc,
      relaunch,
    };
  } catch (err) {
    await proc?.stop();
    throw err;
  }
}

async function canaryOrReason(
  adapter: EngineAdapter,
  enabled: boolean,
  launch: LaunchFacts | undefined,
): Promise<{ hash: string; error?: string; ms: number }> {
  if (!enabled) return { hash: '', ms: 0 };
  try {
    const r = await runCanary(adapter);
    const hash = identityHash(r.hash, launch);
    const cancelProblem = await runCancelSelfTest(adapter);
    if (cancelProblem) return { hash, error: cancelProblem, ms: r.ms };
    return { hash, ms: r.ms };
  } catch (err) {
    return { hash: '', error: err instanceof Error ? err.message : String(err), ms: 0 };
  }
}

async function waitExternalHealthy(adapter: EngineAdapter, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const h = await adapter.health();
    if (h.ready) return;
    last = h.reason ?? '';
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new EngineStartError(`external engine not healthy within ${timeoutMs} ms: ${last}`);
}
