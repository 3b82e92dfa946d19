// Brings the engine to a known state before the replica may become Ready (ORCH-3002, ORCH-3049):
// verify the artifact, launch (supervised) or reach (external) the engine, run the self-tests
// and check determinism. Nothing here throws: every failure becomes `failure` {step, detail},
// which keeps the replica Unready with `self-test <step>: <detail>` while the sidecar still
// serves, registers and heartbeats (a crashed sidecar would tell placement nothing).
import type {
  AdapterFactoryOptions,
  AdapterModule,
  DeterminismReport,
  EngineAdapter,
  EngineIdentity,
  LaunchFacts,
} from '../adapters/types.js';
import { sha256File, verifyModelDigest } from './digest.js';
import { freePort } from './free-port.js';
import type { EngineProcess } from './process.js';
import { errText, runSelfTests, SelfTestError, step, type SelfTestFailure } from './self-test.js';
import { EngineStartError, startSupervisedEngine } from './supervise.js';

export interface SupervisedEngineOptions {
  binary: string;
  modelPath: string;
  /** Expected sha256 (hex, `sha256:` prefix allowed) of modelPath; launch is refused on
   * mismatch (ORCH-5002). Empty: unpinned, the digest is computed and reported. */
  modelDigest: string;
  /** Engine port; 0 or undefined picks a free loopback port. */
  port?: number;
  ctx: number;
  threads: number;
  batch?: number;
  ubatch?: number;
  healthTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** ORCH-3001/3011: the replica's device mask, fixed for its lifetime (restarts reuse it). */
  devices?: string[];
  /** ORCH-3012: one split ratio per device of a multi-GPU mask. */
  tensorSplit?: number[];
}

export interface ExternalEngineOptions {
  baseUrl: string;
  /** Digest to report; computed from modelPath when absent and a path is given. */
  modelDigest?: string;
  modelPath?: string;
  healthTimeoutMs?: number;
  /** Engine-specific adapter options (served model, metrics URL, declared properties). */
  adapter?: Omit<AdapterFactoryOptions, 'baseUrl'>;
  /** The engine's command line as its launcher declared it (the injection webhook). */
  declaredArgs?: readonly string[];
}

export interface EngineStartup {
  adapter: EngineAdapter;
  baseUrl: string;
  /** Placeholder values (`unknown`, ctx 0) when the engine could not be identified. */
  identity: EngineIdentity;
  determinism: DeterminismReport;
  canary: { hash: string; ms: number };
  /** Lowercase hex sha256 of the model ('' when unknown). */
  modelDigest: string;
  /** The first failed self-test step; undefined when every step passed. */
  failure?: SelfTestFailure;
  /** Wall time of the whole bring-up. */
  ms: number;
  launch?: LaunchFacts;
  process?: EngineProcess;
  /** Supervised mode: launches a fresh engine with the same options (digest re-verified). */
  relaunch?: () => Promise<EngineProcess>;
}

export interface BringUpOptions {
  supervise?: SupervisedEngineOptions;
  external?: ExternalEngineOptions;
  canary: boolean;
  /** Cancel self-test: the slot must be idle this soon after the abort (default 10 s). */
  cancelDeadlineMs?: number;
}

const UNKNOWN_IDENTITY = (mod: AdapterModule): EngineIdentity => ({
  engine: mod.engine,
  engineVersion: 'unknown',
  modelPath: '',
  ctxMax: 0,
  slots: 1,
});

export async function bringUpEngine(
  mod: AdapterModule,
  opts: BringUpOptions,
): Promise<EngineStartup> {
  const t0 = Date.now();
  const r: EngineStartup = {
    adapter: mod.create({ baseUrl: 'http://127.0.0.1:0' }),
    baseUrl: '',
    identity: UNKNOWN_IDENTITY(mod),
    determinism: { compliant: false, reasons: ['engine not started'] },
    canary: { hash: '', ms: 0 },
    modelDigest: '',
    ms: 0,
  };
  try {
    if (opts.supervise) await launchSupervised(mod, opts.supervise, r);
    else if (opts.external) await reachExternal(mod, opts.external, r);
    else
      throw new SelfTestError('launch', 'either supervise or external engine options are required');
    const tests = await runSelfTests(r.adapter, r.launch, opts.canary, opts.cancelDeadlineMs);
    r.identity = tests.identity;
    r.canary = tests.canary;
    r.determinism = await r.adapter.checkDeterminism(r.launch).catch((err: unknown) => ({
      compliant: false,
      reasons: [`determinism check failed: ${errText(err)}`],
    }));
  } catch (err) {
    r.failure =
      err instanceof SelfTestError
        ? { step: err.step, detail: err.detail, ...(err.transient && { transient: true }) }
        : { step: 'launch', detail: errText(err) };
    // A replica that failed its self-tests must not keep a half-working engine running.
    await r.process?.stop();
    r.process = undefined;
  }
  r.ms = Date.now() - t0;
  return r;
}

async function launchSupervised(
  mod: AdapterModule,
  s: SupervisedEngineOptions,
  r: EngineStartup,
): Promise<void> {
  if (!mod.launcher)
    throw new SelfTestError('launch', `engine ${mod.engine} cannot be supervised (no launcher)`);
  // preload begins with the artifact: a wrong file is never handed to the engine (ORCH-3037).
  if (!s.modelPath) throw new SelfTestError('preload', 'no model path configured');
  const digest = await step('preload', () =>
    s.modelDigest ? verifyModelDigest(s.modelPath, s.modelDigest) : sha256File(s.modelPath),
  );
  r.modelDigest = digest;
  const port = s.port || (await freePort());
  r.baseUrl = `http://127.0.0.1:${port}`;
  r.adapter = mod.create({ baseUrl: r.baseUrl });
  const launchOpts = {
    launcher: mod.launcher,
    adapter: r.adapter,
    binary: s.binary,
    modelPath: s.modelPath,
    modelDigest: digest,
    host: '127.0.0.1',
    port,
    ctx: s.ctx,
    threads: s.threads,
    batch: s.batch ?? 2048,
    ubatch: s.ubatch ?? 512,
    healthTimeoutMs: s.healthTimeoutMs ?? 120_000,
    env: s.env,
    ...(s.devices ? { devices: s.devices } : {}),
    ...(s.tensorSplit ? { tensorSplit: s.tensorSplit } : {}),
  };
  r.relaunch = async () => (await startSupervisedEngine(launchOpts)).process;
  const started = await step('launch', () => startSupervisedEngine(launchOpts));
  r.launch = started.launch;
  r.process = started.process;
}

async function reachExternal(
  mod: AdapterModule,
  e: ExternalEngineOptions,
  r: EngineStartup,
): Promise<void> {
  r.baseUrl = e.baseUrl;
  r.adapter = mod.create({ ...e.adapter, baseUrl: e.baseUrl });
  // Declared, not observed: the determinism check still cross-checks what the engine shows.
  if (e.declaredArgs && mod.declaredLaunch) r.launch = mod.declaredLaunch(e.declaredArgs);
  await step('launch', () => waitExternalHealthy(r.adapter, e.healthTimeoutMs ?? 30_000));
  r.modelDigest = await step('preload', async () =>
    (e.modelDigest ?? (e.modelPath ? await sha256File(e.modelPath) : ''))
      .toLowerCase()
      .replace(/^sha256:/, ''),
  );
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
