// startStack: the whole local stack on loopback — placement, N supervised sidecars (each with
// its own llama-server and the real model), and Envoy in front — proven ready end to end.
// Shared by `npm run up` and every test that needs the real path (ORCH-5003).
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Config, PromptFormat } from '@llama-orch/contracts';
import {
  envoyOptionsFromListen,
  renderEnvoyBootstrap,
  renderExtProcSdsFiles,
} from '@llama-orch/envoy';
import type { ExtProcTlsOptions } from '@llama-orch/envoy';
import {
  Supervisor,
  freePorts,
  loadToolchain,
  recordTestKeys,
  waitForHttp,
} from '@llama-orch/tools';
import type { SupervisedChild, Toolchain } from '@llama-orch/tools';
import { createControlPlanePki } from './control-tls.js';
import type { ControlPlanePki } from './control-tls.js';
import { REPO_ROOT, envoySpec, gatewaySpec, replicaId, sidecarSpec } from './services.js';
import type { StackRuntime } from './services.js';
import { buildStackConfig, renderStackConfig } from './stack-config.js';
import type { StackPorts } from './stack-config.js';
import { waitForReadyReplicas } from './readiness.js';
import { envoyTracing, tracingEnv } from './tracing-env.js';
import type { StackTracing } from './tracing-env.js';

const run = promisify(execFile);

/**
 * Which real model the stack serves (CPU carve-out, ORCH-1101):
 * - `instruct`: Qwen2.5-Coder-0.5B-Instruct, prompts through its own chat template
 *   (`prompt_format: chat`); what `npm run up` and the haiku gate run.
 * - `fast`: SmolLM2-135M-Instruct with raw continuation prompts (`prompt_format: raw`); about
 *   four times faster on CPU, so the plumbing tests and the determinism suite use it (their
 *   prompts are written as continuations).
 */
export type StackModel = 'instruct' | 'fast';

function servedModel(
  toolchain: Toolchain,
  which: StackModel,
  catalogId: string | undefined,
): { ref: string; promptFormat: PromptFormat; path: string; sha256: string; digest: string } {
  const m =
    catalogId !== undefined
      ? toolchain.models[catalogId]
      : which === 'instruct'
        ? toolchain.instructModel
        : toolchain.model;
  if (m === undefined) {
    throw new Error(
      `model ${catalogId} is not in the toolchain cache (installed: ${Object.keys(toolchain.models).join(', ')}); ` +
        `fetch it with LLAMA_ORCH_EXTRA_MODELS=${catalogId} npm run bootstrap`,
    );
  }
  return {
    ref: m.name,
    promptFormat: which === 'instruct' || catalogId !== undefined ? 'chat' : 'raw',
    path: m.path,
    sha256: m.sha256,
    digest: m.digest,
  };
}

export interface StackOptions {
  replicas?: number;
  /** Default `fast` (tests); `npm run up` and the haiku gate ask for `instruct`. */
  model?: StackModel;
  /**
   * Serve this toolchain catalog model instead (e.g. the opt-in
   * `qwen2.5-coder-1.5b-instruct-q4_k_m`), through its chat template; for research runs.
   */
  catalogModel?: string;
  /** llama-server threads per replica; default 2 for one replica, else 1. */
  threads?: number;
  /** Use these ports instead of free ones (`npm run up` uses the documented defaults). */
  ports?: StackPorts;
  /**
   * Config changes for this run (queue sizes, timeouts, tenants...). Tenants' keys are listed as
   * `api_key_hmac: [ctx.apiKeyHmac(key)]`: HMACs under this stack's own secret (ORCH-3140).
   */
  tweak?: (config: Config, ctx: StackTweakContext) => void;
  /**
   * The key the stack's own probes (readiness, capabilities) send: needed once the tweak turns
   * auth.required on or adds an operator tenant (then it must be an operator's key).
   */
  apiKey?: string;
  /**
   * ORCH-3142: mutual TLS between placement, the sidecars and Envoy, from a dev CA made at start
   * (default true). false only for a test whose extra sidecar has no certificate on purpose.
   */
  controlTls?: boolean;
  /**
   * Called once placement answers, before the stack's own sidecars start: a test starts extra
   * sidecars of its own here (the chaos suite's simulated pool), beside the stack's.
   */
  onPlacementUp?: (ctx: StackJoinContext) => void | Promise<void>;
  /** Envoy writes one JSON access-log line per request to its output (default false). */
  envoyAccessLog?: boolean;
  /** Placement's pino level; default "warn" (tests) — `npm run up` passes "info". */
  logLevel?: string;
  /** Where child log lines go; default: kept only in each child's tail. */
  write?: (s: string) => void;
  /** Budget for every replica to turn Ready (engine load, self-test, canary). */
  readyTimeoutMs?: number;
  log?: (msg: string) => void;
  /** OpenTelemetry for Envoy, placement and sidecars; absent (default) means no tracing. */
  tracing?: StackTracing;
  /**
   * `tsx` (default: tests run the sources as they are) or `node`: the bundles that
   * `node tools/build-runtime.mjs` built, as production runs them (`npm run up`). A missing or
   * stale bundle fails the start, naming the command that builds it.
   */
  runtime?: StackRuntime;
  /**
   * Restart placement when it exits on its own, with a doubling backoff (1 s up to 30 s, reset
   * after a minute up), as Kubernetes restarts a crashed container (`npm run up`). Off by
   * default: chaos tests kill placement on purpose and restart it themselves.
   */
  restartPlacementOnCrash?: boolean;
  /**
   * ORCH-4030: placement journals admissions to `<stack dir>/placement-journal.sqlite` (default
   * true), so restartPlacement(), a supervised restart or a kill -9 keeps queued tasks; a tweak
   * that sets `journal.path` wins. false: no journal (a restart forgets the queue).
   */
  journal?: boolean;
}

/** What a caller's own processes need to join the stack (see `onPlacementUp`). */
export interface StackJoinContext {
  pki: ControlPlanePki | undefined;
  ports: StackPorts;
}

export interface StackTweakContext {
  /** ORCH-3140: the digest a tenant's `api_key_hmac` lists for `key` under this stack's secret. */
  apiKeyHmac(key: string): string;
}

export interface Stack {
  /** The public edge: every client request goes here (ORCH-4001). */
  readonly url: string;
  readonly adminUrl: string;
  /** Placement's REST port, for tests that must bypass Envoy on purpose. */
  readonly restUrl: string;
  readonly ports: StackPorts;
  readonly config: Config;
  readonly toolchain: Toolchain;
  /** The model every replica serves: ref, sha256 digest label, GGUF path. */
  readonly model: { ref: string; digest: string; path: string; promptFormat: PromptFormat };
  readonly poolId: string;
  sidecarUrl(index: number): string;
  replicaId(index: number): string;
  /** SIGKILL the llama-server behind replica `index` (chaos: engine crash mid-stream). */
  killEngine(index: number): Promise<void>;
  /** Stop and start placement on the same ports (ORCH-4007); after a kill it just starts it. */
  restartPlacement(): Promise<void>;
  /** Start Envoy again on the same bootstrap and wait for the edge (chaos: after a kill). */
  restartEnvoy(): Promise<void>;
  /** Pid of a child the stack started (`placement`, `envoy`, `sidecar-<i>`), for chaos signals. */
  pid(name: string): number | undefined;
  /** ORCH-3142: the stack's dev CA and certificates (undefined with controlTls: false). */
  readonly pki: ControlPlanePki | undefined;
  /** The stack's temp dir (config, certificates, Envoy bootstrap); removed by close(). */
  readonly dir: string;
  /** Last log lines of a child, for assertion messages. */
  tail(name: string): string[];
  close(): Promise<void>;
}

async function allocatePorts(replicas: number): Promise<StackPorts> {
  const p = await freePorts(5 + 2 * replicas);
  const at = (i: number): number => p[i] as number;
  return {
    envoy: at(0),
    envoyAdmin: at(1),
    rest: at(2),
    extProc: at(3),
    control: at(4),
    sidecars: Array.from({ length: replicas }, (_, i) => at(5 + i)),
    engines: Array.from({ length: replicas }, (_, i) => at(5 + replicas + i)),
  };
}

/** Finds the engine of a sidecar by its unique --port argument and kills it. */
async function killByPort(binary: string, port: number): Promise<void> {
  await run('pkill', ['-KILL', '-f', `${binary}.*--port ${port}( |$)`]).catch(() => undefined);
}

/** The bundles must exist and be newer than every source they were built from. */
async function checkBundles(): Promise<void> {
  try {
    await run(process.execPath, ['tools/build-runtime.mjs', '--check'], { cwd: REPO_ROOT });
  } catch (e) {
    const why = (e as { stderr?: string }).stderr?.trim() ?? String(e);
    throw new Error(`runtime node needs fresh bundles (${why}); run: node tools/build-runtime.mjs`);
  }
}

const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const BACKOFF_RESET_AFTER_MS = 60_000;

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? (() => undefined);
  const replicas = opts.replicas ?? 1;
  const runtime = opts.runtime ?? 'tsx';
  if (runtime === 'node') await checkBundles();
  const toolchain = await loadToolchain({ verifyModel: true });
  const ports = opts.ports ?? (await allocatePorts(replicas));
  const model = servedModel(toolchain, opts.model ?? 'fast', opts.catalogModel);
  const dir = await mkdtemp(join(tmpdir(), 'llama-orch-stack-'));
  const prepared = await prepareFiles(dir, opts, {
    ports,
    replicas,
    model: { ref: model.ref, promptFormat: model.promptFormat },
    modelDigest: model.digest,
    modelPath: model.path,
  }).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  const { config, configPath, envoyPath, pki } = prepared;
  const pool = config.pools[0];
  if (!pool) throw new Error('stack config has no pool');
  await run(toolchain.envoy.bin, ['--mode', 'validate', '-c', envoyPath]);
  if (opts.apiKey) recordTestKeys([opts.apiKey]);
  const probeHeaders: Record<string, string> = opts.apiKey ? { 'x-api-key': opts.apiKey } : {};

  // ORCH-3141: the run's log directory (LLAMA_ORCH_RUN_LOGS) gets every child line too.
  const sup = new Supervisor({ write: opts.write ?? stackLogWriter(), runLogLabel: 'stack' });
  const children = new Map<string, SupervisedChild>();
  const childEnv = tracingEnv(opts.tracing);
  const start = (spec: Parameters<Supervisor['start']>[0]): SupervisedChild => {
    const child = sup.start(childEnv && !spec.env ? { ...spec, env: childEnv } : spec);
    children.set(spec.name, child);
    log(`${spec.name}: pid ${child.pid}`);
    return child;
  };
  const restUrl = `http://127.0.0.1:${ports.rest}`;
  const url = `http://127.0.0.1:${ports.envoy}`;
  // The placement process now serving; a watcher ignores exits of any other (stopped on purpose).
  let placement: SupervisedChild | undefined;
  let closing = false;
  let backoffMs = BACKOFF_FIRST_MS;
  let restarts = 0;
  const restartOnCrash = async (child: SupervisedChild, startedAt: number): Promise<void> => {
    const info = await child.exited;
    if (closing || placement !== child) return;
    if (performance.now() - startedAt >= BACKOFF_RESET_AFTER_MS) backoffMs = BACKOFF_FIRST_MS;
    const delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
    restarts += 1;
    const how = info.signal !== null ? `signal ${info.signal}` : `exit code ${info.code}`;
    log(
      `placement: crashed (pid ${child.pid}, ${how}); restarting in ${(delay / 1000).toFixed(0)}s ` +
        `(restart ${restarts}, backoff doubling to ${BACKOFF_MAX_MS / 1000}s)`,
    );
    await new Promise((r) => setTimeout(r, delay));
    if (closing || placement !== child) return;
    try {
      await startPlacement();
      log(`placement: restarted (pid ${placement?.pid}), serving on REST :${ports.rest} again`);
    } catch (e) {
      // The new process has its own watcher: if it died, it is restarted after a longer wait.
      log(`placement: restart ${restarts} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const startPlacement = async (): Promise<void> => {
    // Placement's spec carries its own environment (PLACEMENT_ENV) on top of the stack's.
    const child = start(gatewaySpec(configPath, opts.logLevel ?? 'warn', runtime, childEnv));
    placement = child;
    if (opts.restartPlacementOnCrash) void restartOnCrash(child, performance.now());
    await waitForHttp(`${restUrl}/v1/capabilities`, {
      timeoutMs: 30_000,
      headers: probeHeaders,
      abortOn: child.exited.then(() => `placement exited: ${child.tail().join('\n')}`),
    });
  };
  const startEnvoy = async (): Promise<void> => {
    const envoy = start(envoySpec(toolchain, envoyPath));
    await waitForHttp(`${url}/v1/capabilities`, {
      timeoutMs: 30_000,
      headers: probeHeaders,
      abortOn: envoy.exited.then(() => `envoy exited: ${envoy.tail().join('\n')}`),
    });
  };
  const close = async (): Promise<void> => {
    closing = true;
    await sup.stopAll();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    log(
      `placement: starting (REST ${ports.rest}, ext_proc ${ports.extProc}, control ${ports.control})`,
    );
    await startPlacement();
    await opts.onPlacementUp?.({ pki, ports });
    const threads = opts.threads ?? (replicas === 1 ? 2 : 1);
    for (let i = 0; i < replicas; i++) {
      const tls = pki ? await pki.sidecar(i) : undefined;
      start(
        sidecarSpec({
          ...(tls ? { tls } : {}),
          index: i,
          poolId: pool.id,
          modelRef: pool.model_ref,
          ports,
          toolchain,
          model,
          threads,
          ctx: pool.ctx_max,
          samplerProfile: pool.sampler_profile_version,
          ...(pool.replica_devices[i] ? { devices: pool.replica_devices[i] } : {}),
          ...(pool.tensor_split ? { tensorSplit: pool.tensor_split } : {}),
          runtime,
        }),
      );
    }
    log(`sidecars: ${replicas} starting, each with a supervised llama-server (CPU carve-out)`);
    await waitForReadyReplicas(restUrl, pool.id, replicas, {
      timeoutMs: opts.readyTimeoutMs ?? 180_000,
      headers: probeHeaders,
      diagnose: () =>
        [...children.values()].map((c) => `${c.name}: ${c.tail().slice(-5).join(' | ')}`),
    });
    log('sidecars: all replicas Ready');
    await startEnvoy();
    log(`envoy: edge ready at ${url}`);
  } catch (e) {
    await close();
    throw e;
  }

  return {
    url,
    adminUrl: `http://127.0.0.1:${ports.envoyAdmin}`,
    restUrl,
    ports,
    config,
    toolchain,
    model: {
      ref: pool.model_ref,
      digest: model.digest,
      path: model.path,
      promptFormat: pool.prompt_format,
    },
    poolId: pool.id,
    sidecarUrl: (i) => `http://127.0.0.1:${ports.sidecars[i]}`,
    replicaId: (i) => replicaId(pool.id, i),
    killEngine: async (i) => {
      const port = ports.engines[i];
      if (port === undefined) throw new Error(`no replica ${i}`);
      await killByPort(toolchain.llamaServer.bin, port);
    },
    restartPlacement: async () => {
      const old = children.get('placement');
      placement = undefined; // stopped on purpose: not a crash
      await old?.stop();
      await startPlacement();
    },
    restartEnvoy: async () => {
      await children.get('envoy')?.stop();
      await startEnvoy();
    },
    pid: (name) => children.get(name)?.pid,
    tail: (name) => children.get(name)?.tail() ?? [],
    pki,
    dir,
    close,
  };
}

/**
 * Writes what the processes read: the API-key secret (ORCH-3140), the dev CA and certificates
 * (ORCH-3142), the config, Envoy's bootstrap and its SDS files.
 */
async function prepareFiles(
  dir: string,
  opts: StackOptions,
  input: Omit<Parameters<typeof buildStackConfig>[0], 'tweak'>,
): Promise<{
  config: Config;
  configPath: string;
  envoyPath: string;
  pki: ControlPlanePki | undefined;
}> {
  const secret = randomBytes(32).toString('hex');
  const secretPath = join(dir, 'api-key-secret');
  await writeFile(secretPath, `${secret}\n`, { mode: 0o600 });
  const ctx: StackTweakContext = {
    apiKeyHmac: (key) => {
      // ORCH-3141: every key a tenant of this stack holds is one the run's log scan searches for.
      recordTestKeys([key]);
      return createHmac('sha256', secret).update(key, 'utf8').digest('hex');
    },
  };
  const pki = opts.controlTls === false ? undefined : await createControlPlanePki(join(dir, 'tls'));
  const config = buildStackConfig({
    ...input,
    tweak: (c) => {
      c.auth.api_key_secret_file = secretPath;
      if (pki) {
        c.tls = {
          ca_file: pki.placement.ca,
          cert_file: pki.placement.cert,
          key_file: pki.placement.key,
          refresh_interval_ms: 1_000,
        };
      }
      opts.tweak?.(c, ctx);
    },
  });
  const configPath = join(dir, 'config.yaml');
  if (opts.journal !== false) config.journal.path ??= join(dir, 'placement-journal.sqlite');
  await writeFile(configPath, renderStackConfig(config));
  let extProcTls: ExtProcTlsOptions | undefined;
  if (pki) {
    extProcTls = {
      caFile: pki.envoy.ca,
      certFile: pki.envoy.cert,
      keyFile: pki.envoy.key,
      serverName: 'localhost',
      sdsDir: pki.envoySdsDir,
    };
    await mkdir(pki.envoySdsDir, { recursive: true });
    for (const [name, text] of Object.entries(renderExtProcSdsFiles(extProcTls))) {
      await writeFile(join(pki.envoySdsDir, name), text);
    }
  }
  const envoyPath = join(dir, 'envoy.yaml');
  await writeFile(
    envoyPath,
    renderEnvoyBootstrap({
      ...envoyOptionsFromListen(config.listen),
      tracing: envoyTracing(opts.tracing),
      ...(opts.envoyAccessLog ? { accessLog: true } : {}),
      ...(extProcTls ? { extProcTls } : {}),
    }),
  );
  return { config, configPath, envoyPath, pki };
}

/**
 * Where the stack's process logs go when the caller gives no writer: nowhere, unless
 * LLAMA_ORCH_STACK_LOG names a file (appended to), so a suite that failed can be rerun with the
 * logs of placement, the sidecars and Envoy kept for diagnosis.
 */
function stackLogWriter(): (s: string) => void {
  const file = process.env.LLAMA_ORCH_STACK_LOG;
  if (!file) return () => undefined;
  return (s) => appendFileSync(file, s);
}
