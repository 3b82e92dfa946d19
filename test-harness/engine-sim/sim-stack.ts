// A fleet of simulated engines behind the real stack: placement and Envoy as in startStack, and N
// sidecars that drive simulators through the unchanged llama.cpp adapter, in one of two modes:
// - external (default): each sidecar points (`--engine-url`) at its own in-process simulator and
//   runs with --no-strict: an external engine cannot prove the determinism recipe;
// - supervised (`supervised: {models}`): each sidecar launches the llama-server shim
//   (llama-server-shim.ts) on a model file, as it would launch llama-server: strict mode, real
//   self-tests, crash restarts and reloads. The config's `models[]` catalog lists every file
//   (ref, path, digest), so the gateway can resolve reload targets (ORCH-2102).
// A `sim-` engine never passes release gates (ORCH-4020). Pieces come from test-harness/src/stack
// (imported, not copied).
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '@llama-orch/contracts';
import { envoyOptionsFromListen, renderEnvoyBootstrap } from '@llama-orch/envoy';
import type { EnvoyBootstrapOptions } from '@llama-orch/envoy';
import { Supervisor, freePorts, loadToolchain, waitForHttp } from '@llama-orch/tools';
import type { ChildSpec, SupervisedChild } from '@llama-orch/tools';
import { waitForReadyReplicas } from '../src/stack/readiness.js';
import { REPO_ROOT, bundleOf, envoySpec, gatewaySpec, replicaId } from '../src/stack/services.js';
import type { StackRuntime } from '../src/stack/services.js';
import { buildStackConfig, renderStackConfig, type StackPorts } from '../src/stack/stack-config.js';
import type { SimConfig } from './config.js';
import { sha256Hex, simModelText, type SimDirective } from './model-file.js';
import { startEngineSim, type EngineSim } from './server.js';
import { writeShimWrapper } from './shim-wrapper.js';

/** One model file of a supervised sim stack. */
export interface SimModelSpec {
  /** Model reference (pool model_ref / reload target). */
  ref: string;
  /** Faults baked into the file (model-file.ts); none = a healthy model. */
  directives?: SimDirective[];
  /** The catalog's digest does not match the file (a corrupt artifact: preload fails). */
  corruptDigest?: boolean;
}

/** A model file as written to disk and listed in the config's `models[]`. */
export interface SimModelEntry {
  ref: string;
  path: string;
  /** `sha256:<hex>` as configured (wrong on purpose when corruptDigest). */
  digest: string;
}

export interface SupervisedSimOptions {
  /** models[0] is what every replica starts with; all are in the `models[]` catalog. */
  models: SimModelSpec[];
  /** Extra environment for the sidecars (and so their engines), e.g. ENGINE_SIM_FAULTS. */
  env?: Record<string, string>;
}

export interface SimStackOptions {
  replicas: number;
  /** External-mode simulator settings (ignored when supervised). */
  sim?: Partial<SimConfig>;
  /** Sidecars launch the llama-server shim on model files instead of attaching to sims. */
  supervised?: SupervisedSimOptions;
  tweak?: (config: Config) => void;
  /**
   * ORCH-4030: placement journals admissions to `<stack dir>/placement-journal.sqlite` (default
   * true), so restartPlacement() keeps queued tasks; false: no journal.
   */
  journal?: boolean;
  /** Extra Envoy bootstrap options (e.g. `accessLog: true` for the bench's per-hop timings). */
  envoy?: Partial<EnvoyBootstrapOptions>;
  readyTimeoutMs?: number;
  log?: (msg: string) => void;
  /**
   * How placement runs: `tsx` (default, the sources as they are) or `node` (the bundle
   * `node tools/build-runtime.mjs placement` built, as production runs it; the caller builds it).
   */
  placementRuntime?: StackRuntime;
  /** How the sidecars run: `tsx` (default) or `node` (their bundle, as production runs them). */
  sidecarRuntime?: StackRuntime;
}

export interface SimStack {
  readonly url: string;
  readonly restUrl: string;
  readonly poolId: string;
  readonly modelRef: string;
  /** In-process simulators (external mode; empty when supervised). */
  readonly sims: readonly EngineSim[];
  /** Supervised mode: the model files, as in the config's `models[]` (empty otherwise). */
  readonly models: readonly SimModelEntry[];
  /** Supervised mode: engine i's base URL (its own port, fixed for the stack's life). */
  engineUrl(i: number): string;
  replicaId(i: number): string;
  /** The placement config file (a reload rewrites it, ORCH-3031). */
  readonly configPath: string;
  /** Stops placement and starts it again on the same config file; sidecars reconnect. */
  restartPlacement(): Promise<void>;
  tail(name: string): string[];
  /** A child's process id (e.g. `placement`, for its RSS), undefined when not running. */
  pid(name: string): number | undefined;
  close(): Promise<void>;
}

function sidecarSpec(
  i: number,
  poolId: string,
  modelRef: string,
  port: number,
  control: number,
  engineArgs: string[],
  env?: Record<string, string>,
  runtime: StackRuntime = 'tsx',
): ChildSpec {
  const entry = 'sidecar/src/main.ts';
  return {
    name: `sidecar-${i}`,
    cmd: process.execPath,
    args: [
      ...(runtime === 'node' ? [bundleOf(entry)] : ['--import', 'tsx', entry]),
      '--replica-id',
      replicaId(poolId, i),
      '--pool-id',
      poolId,
      '--model-ref',
      modelRef,
      '--port',
      String(port),
      '--placement',
      `127.0.0.1:${control}`,
      '--engine',
      'llamacpp',
      ...engineArgs,
    ],
    cwd: REPO_ROOT,
    env: env ? { ...process.env, ...env } : undefined,
  };
}

/** Writes the model files and the shim wrapper into `dir`. */
async function writeModels(dir: string, specs: readonly SimModelSpec[]): Promise<SimModelEntry[]> {
  return Promise.all(
    specs.map(async (m, i) => {
      const path = join(dir, `model-${i}-${m.ref.replace(/[^A-Za-z0-9._-]/g, '_')}.gguf`);
      const text = simModelText(m.ref, m.directives);
      await writeFile(path, text);
      const hex = sha256Hex(m.corruptDigest ? `${text}corrupted` : text);
      return { ref: m.ref, path, digest: `sha256:${hex}` };
    }),
  );
}

export async function startSimStack(o: SimStackOptions): Promise<SimStack> {
  const log = o.log ?? (() => undefined);
  const n = o.replicas;
  const toolchain = await loadToolchain();
  const sims: EngineSim[] = [];
  // A long tail: the overhead bench reads Envoy's access-log lines back from it.
  const sup = new Supervisor({
    write: () => undefined,
    graceMs: 3000,
    tailLines: 2000,
    runLogLabel: 'sim-stack',
  });
  const children = new Map<string, SupervisedChild>();
  const dir = await mkdtemp(join(tmpdir(), 'llama-orch-simstack-'));
  const close = async (): Promise<void> => {
    await sup.stopAll();
    await Promise.all(sims.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const sup_ = o.supervised;
    if (sup_ && sup_.models.length === 0) throw new Error('supervised sim stack needs a model');
    if (!sup_) for (let i = 0; i < n; i++) sims.push(await startEngineSim({ config: o.sim }));
    const models = sup_ ? await writeModels(dir, sup_.models) : [];
    const shim = sup_ ? await writeShimWrapper(dir) : '';
    const first = models[0];
    const modelRef = first?.ref ?? sims[0]?.engine.config.model ?? 'sim';
    const digestHex = first
      ? first.digest.slice('sha256:'.length)
      : createHash('sha256').update(`engine-sim:${modelRef}`).digest('hex');
    const p = await freePorts(5 + n + (sup_ ? n : 0));
    const at = (i: number): number => p[i] as number;
    const ports: StackPorts = {
      envoy: at(0),
      envoyAdmin: at(1),
      rest: at(2),
      extProc: at(3),
      control: at(4),
      sidecars: Array.from({ length: n }, (_, i) => at(5 + i)),
      engines: sup_ ? Array.from({ length: n }, (_, i) => at(5 + n + i)) : sims.map((s) => s.port),
    };
    const config = buildStackConfig({
      ports,
      replicas: n,
      modelDigest: `sha256:${digestHex}`,
      tweak: (c) => {
        const pool = c.pools[0];
        if (pool) {
          pool.model_ref = modelRef;
          pool.cpu_carve_out = true;
          pool.replica_devices = Array.from({ length: n }, () => [...pool.devices]);
          if (first) {
            // Launched by the sidecars with the determinism flags: strict, like llama-server.
            pool.supervise = true;
            pool.determinism = 'strict';
            pool.model_path = first.path;
          } else {
            // External engines the sidecars do not launch; best effort (no strict replay promise).
            pool.supervise = false;
            pool.determinism = 'best_effort';
            pool.engine_endpoints = sims.map((s) => s.url);
          }
        }
        c.models = models.map((m) => ({ ref: m.ref, path: m.path, digest: m.digest }));
        o.tweak?.(c);
      },
    });
    const pool = config.pools[0];
    if (!pool) throw new Error('stack config has no pool');
    const configPath = join(dir, 'config.yaml');
    if (o.journal !== false) config.journal.path ??= join(dir, 'placement-journal.sqlite');
    await writeFile(configPath, renderStackConfig(config));
    const envoyPath = join(dir, 'envoy.yaml');
    await writeFile(
      envoyPath,
      renderEnvoyBootstrap({ ...envoyOptionsFromListen(config.listen), ...o.envoy }),
    );
    const restUrl = `http://127.0.0.1:${ports.rest}`;
    const url = `http://127.0.0.1:${ports.envoy}`;
    const start = (spec: ChildSpec): SupervisedChild => {
      const c = sup.start(spec);
      children.set(spec.name, c);
      return c;
    };
    const startPlacement = async (): Promise<void> => {
      const placement = start(gatewaySpec(configPath, 'warn', o.placementRuntime));
      await waitForHttp(`${restUrl}/v1/capabilities`, {
        timeoutMs: 60_000,
        abortOn: placement.exited.then(() => `placement exited: ${placement.tail().join('\n')}`),
      });
    };
    await startPlacement();
    log(`placement up; starting ${n} sidecars (${first ? 'supervised shims' : 'external sims'})`);
    const engineArgs = (i: number): string[] =>
      first
        ? [
            '--supervise',
            '--engine-binary',
            shim,
            '--model-path',
            first.path,
            '--model-digest',
            first.digest,
            '--engine-port',
            String(ports.engines[i]),
            '--ctx',
            String(pool.ctx_max),
            '--threads',
            '1',
          ]
        : ['--engine-url', sims[i]?.url ?? '', '--model-digest', digestHex, '--no-strict'];
    for (let i = 0; i < n; i++) {
      const port = ports.sidecars[i] as number;
      start(
        sidecarSpec(
          i,
          pool.id,
          modelRef,
          port,
          ports.control,
          engineArgs(i),
          sup_?.env,
          o.sidecarRuntime,
        ),
      );
    }
    await waitForReadyReplicas(restUrl, pool.id, n, {
      timeoutMs: o.readyTimeoutMs ?? 240_000,
      intervalMs: 500,
      diagnose: () =>
        [...children.values()].map((c) => `${c.name}: ${c.tail().slice(-3).join(' | ')}`),
    });
    log('all replicas Ready');
    const envoy = start(envoySpec(toolchain, envoyPath));
    await waitForHttp(`${url}/v1/capabilities`, {
      timeoutMs: 60_000,
      abortOn: envoy.exited.then(() => `envoy exited: ${envoy.tail().join('\n')}`),
    });
    return {
      url,
      restUrl,
      poolId: pool.id,
      modelRef,
      sims,
      models,
      engineUrl: (i) => (first ? `http://127.0.0.1:${ports.engines[i]}` : (sims[i]?.url ?? '')),
      replicaId: (i) => replicaId(pool.id, i),
      configPath,
      restartPlacement: async () => {
        await children.get('placement')?.stop();
        await startPlacement();
      },
      tail: (name) => children.get(name)?.tail() ?? [],
      pid: (name) => children.get(name)?.pid,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
