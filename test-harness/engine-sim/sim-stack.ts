// A fleet of simulated engines behind the real stack: placement and Envoy as in startStack, N
// sidecars in external-engine mode (the unchanged llama.cpp adapter, `--engine-url`), each
// pointing at its own in-process engine simulator. Sidecars run with --no-strict: an external
// engine cannot prove the determinism recipe, and a `sim-` engine never passes release gates
// (ORCH-4020). Pieces come from test-harness/src/stack (imported, not copied).
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '@llama-orch/contracts';
import { envoyOptionsFromListen, renderEnvoyBootstrap } from '@llama-orch/envoy';
import { Supervisor, freePorts, loadToolchain, waitForHttp } from '@llama-orch/tools';
import type { ChildSpec, SupervisedChild } from '@llama-orch/tools';
import { waitForReadyReplicas } from '../src/stack/readiness.js';
import { REPO_ROOT, envoySpec, gatewaySpec, replicaId } from '../src/stack/services.js';
import { buildStackConfig, renderStackConfig, type StackPorts } from '../src/stack/stack-config.js';
import type { SimConfig } from './config.js';
import { startEngineSim, type EngineSim } from './server.js';

export interface SimStackOptions {
  replicas: number;
  sim?: Partial<SimConfig>;
  tweak?: (config: Config) => void;
  readyTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface SimStack {
  readonly url: string;
  readonly restUrl: string;
  readonly poolId: string;
  readonly modelRef: string;
  readonly sims: readonly EngineSim[];
  replicaId(i: number): string;
  tail(name: string): string[];
  close(): Promise<void>;
}

function sidecarSpec(
  i: number,
  poolId: string,
  modelRef: string,
  digest: string,
  port: number,
  control: number,
  engineUrl: string,
): ChildSpec {
  return {
    name: `sidecar-${i}`,
    cmd: process.execPath,
    args: [
      '--import',
      'tsx',
      'sidecar/src/main.ts',
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
      '--engine-url',
      engineUrl,
      '--model-digest',
      digest,
      '--no-strict',
    ],
    cwd: REPO_ROOT,
  };
}

export async function startSimStack(o: SimStackOptions): Promise<SimStack> {
  const log = o.log ?? (() => undefined);
  const n = o.replicas;
  const toolchain = await loadToolchain();
  const sims: EngineSim[] = [];
  const sup = new Supervisor({ write: () => undefined, graceMs: 3000 });
  const children = new Map<string, SupervisedChild>();
  const dir = await mkdtemp(join(tmpdir(), 'llama-orch-simstack-'));
  const close = async (): Promise<void> => {
    await sup.stopAll();
    await Promise.all(sims.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) sims.push(await startEngineSim({ config: o.sim }));
    const modelRef = sims[0]?.engine.config.model ?? 'sim';
    const digestHex = createHash('sha256').update(`engine-sim:${modelRef}`).digest('hex');
    const p = await freePorts(5 + n);
    const at = (i: number): number => p[i] as number;
    const ports: StackPorts = {
      envoy: at(0),
      envoyAdmin: at(1),
      rest: at(2),
      extProc: at(3),
      control: at(4),
      sidecars: Array.from({ length: n }, (_, i) => at(5 + i)),
      engines: sims.map((s) => s.port),
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
          // External engines the sidecars do not launch; best effort (no strict replay promise).
          pool.supervise = false;
          pool.determinism = 'best_effort';
          pool.engine_endpoints = sims.map((s) => s.url);
          pool.replica_devices = sims.map(() => [...pool.devices]);
        }
        o.tweak?.(c);
      },
    });
    const pool = config.pools[0];
    if (!pool) throw new Error('stack config has no pool');
    const configPath = join(dir, 'config.yaml');
    await writeFile(configPath, renderStackConfig(config));
    const envoyPath = join(dir, 'envoy.yaml');
    await writeFile(envoyPath, renderEnvoyBootstrap(envoyOptionsFromListen(config.listen)));
    const restUrl = `http://127.0.0.1:${ports.rest}`;
    const url = `http://127.0.0.1:${ports.envoy}`;
    const start = (spec: ChildSpec): SupervisedChild => {
      const c = sup.start(spec);
      children.set(spec.name, c);
      return c;
    };
    const placement = start(gatewaySpec(configPath, 'warn'));
    await waitForHttp(`${restUrl}/v1/capabilities`, {
      timeoutMs: 60_000,
      abortOn: placement.exited.then(() => `placement exited: ${placement.tail().join('\n')}`),
    });
    log(`placement up; starting ${n} sidecars against ${n} simulated engines`);
    sims.forEach((s, i) =>
      start(
        sidecarSpec(
          i,
          pool.id,
          modelRef,
          digestHex,
          ports.sidecars[i] as number,
          ports.control,
          s.url,
        ),
      ),
    );
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
      replicaId: (i) => replicaId(pool.id, i),
      tail: (name) => children.get(name)?.tail() ?? [],
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
