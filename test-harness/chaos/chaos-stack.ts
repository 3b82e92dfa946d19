// The stack the chaos suite breaks: startStack (placement, Envoy, one sidecar supervising the real
// llama-server on the fast model, pool `default`) plus a second pool `sim` of engine-sim
// replicas. Each simulated engine is its own process (engine-sim/main.ts, one replica), so a test
// can kill -9 or SIGSTOP exactly one; each of their sidecars reaches placement through one
// toxiproxy link and is reached by Envoy through its own (it advertises 127.0.0.2, where that
// proxy listens on the sidecar's port), so both link kinds can be cut or slowed.
import { createHash } from 'node:crypto';
import type { Config } from '@llama-orch/contracts';
import { Supervisor, freePorts, waitForHttp } from '@llama-orch/tools';
import type { CertFiles, ChildSpec, SupervisedChild } from '@llama-orch/tools';
import { waitForReadyReplicas } from '../src/stack/readiness.js';
import { REPO_ROOT, replicaId } from '../src/stack/services.js';
import { startStack } from '../src/stack/index.js';
import type { Stack, StackPorts } from '../src/stack/index.js';
import { DEFAULT_SIM_CONFIG } from '../engine-sim/config.js';
import { startToxiproxy } from './toxiproxy.js';
import type { Toxiproxy } from './toxiproxy.js';

export const SIM_POOL = 'sim';
export const SIM_MODEL = DEFAULT_SIM_CONFIG.model;
/** Where Envoy reaches the simulated replicas' sidecars: toxiproxy listens here. */
const ENVOY_LINK_HOST = '127.0.0.2';
/** Toxiproxy link names. */
export const CONTROL_LINK = 'placement-sidecars';
export const envoyLink = (i: number): string => `envoy-sidecar-${i}`;

interface ChaosStackOptions {
  simReplicas: number;
  /** Concurrent streams each simulated engine serves. */
  simSlots: number;
  /** Inter-token latency of the simulated engines. */
  itlMs: number;
  tweak?: (config: Config) => void;
  log?: (msg: string) => void;
  /** Every child's log lines (prefixed), e.g. to a file when a run must be diagnosed. */
  write?: (s: string) => void;
  /** Placement's log level (default warn). */
  logLevel?: string;
  /** Envoy's access log (upstream host and response flags per request) into `write`. */
  envoyAccessLog?: boolean;
}

export interface ChaosStack {
  readonly stack: Stack;
  readonly toxi: Toxiproxy;
  readonly simReplicas: number;
  simReplicaId(i: number): string;
  /** Engine-sim process of replica i, and its base URL. */
  simEnginePid(i: number): number | undefined;
  simEngineUrl(i: number): string;
  simSidecarPid(i: number): number | undefined;
  /** Start engine i again on its port (after a kill), as a kubelet restarts a container. */
  restartSimEngine(i: number): Promise<void>;
  /** Start sidecar i again (after a kill). */
  restartSimSidecar(i: number): Promise<void>;
  /** Wait until `want` replicas of `pool` are Ready in placement's view. */
  waitReady(pool: string, want: number, timeoutMs: number): Promise<void>;
  tail(name: string): string[];
  close(): Promise<void>;
}

function tlsArgs(tls: CertFiles | undefined): string[] {
  return tls ? ['--tls-ca', tls.ca, '--tls-cert', tls.cert, '--tls-key', tls.key] : [];
}

function simDigestHex(): string {
  return createHash('sha256').update(`engine-sim:${SIM_MODEL}`).digest('hex');
}

export async function startChaosStack(o: ChaosStackOptions): Promise<ChaosStack> {
  const log = o.log ?? (() => undefined);
  const n = o.simReplicas;
  // Every port of the run from one call, so none is handed out twice (the real replica's and
  // toxiproxy's API too: a second call could hand out a port this one reserved, and did).
  const ports = await freePorts(2 * n + 9);
  const at = (i: number): number => ports[i] as number;
  const enginePorts = ports.slice(0, n);
  const sidecarPorts = ports.slice(n, 2 * n);
  const controlProxyPort = at(2 * n);
  const stackPorts: StackPorts = {
    envoy: at(2 * n + 1),
    envoyAdmin: at(2 * n + 2),
    rest: at(2 * n + 3),
    extProc: at(2 * n + 4),
    control: at(2 * n + 5),
    sidecars: [at(2 * n + 6)],
    engines: [at(2 * n + 7)],
  };
  const toxiproxyApiPort = at(2 * n + 8);
  const sup = new Supervisor({
    write: o.write ?? (() => undefined),
    graceMs: 2000,
    runLogLabel: 'chaos-sim',
  });
  const engines = new Map<number, SupervisedChild>();
  const sidecars = new Map<number, SupervisedChild>();
  let toxi: Toxiproxy | undefined;
  let stack: Stack | undefined;
  const close = async (): Promise<void> => {
    // The sidecars and engines this file started go first, then the stack, then the proxy.
    await sup.stopAll();
    await stack?.close();
    await toxi?.close();
  };

  const engineSpec = (i: number): ChildSpec => ({
    name: `sim-engine-${i}`,
    cmd: process.execPath,
    args: [
      '--import',
      'tsx',
      'test-harness/engine-sim/main.ts',
      '--port',
      String(enginePorts[i]),
      '--slots',
      String(o.simSlots),
      '--itl-ms',
      String(o.itlMs),
      '--seed',
      '1',
    ],
    cwd: REPO_ROOT,
  });
  const startEngine = async (i: number): Promise<void> => {
    const c = sup.start(engineSpec(i));
    engines.set(i, c);
    await waitForHttp(`http://127.0.0.1:${enginePorts[i]}/health`, {
      timeoutMs: 60_000,
      abortOn: c.exited.then(() => `sim engine ${i} exited: ${c.tail().join('\n')}`),
    });
  };
  // ORCH-3142: each simulated replica's client certificate from the stack's dev CA.
  const certs = new Map<number, CertFiles>();
  const sidecarSpec = (i: number, poolId: string): ChildSpec => ({
    name: `sim-sidecar-${i}`,
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
      SIM_MODEL,
      '--port',
      String(sidecarPorts[i]),
      '--advertise-host',
      ENVOY_LINK_HOST,
      '--placement',
      `127.0.0.1:${controlProxyPort}`,
      '--engine',
      'llamacpp',
      '--engine-url',
      `http://127.0.0.1:${enginePorts[i]}`,
      '--model-digest',
      simDigestHex(),
      '--no-strict',
      ...tlsArgs(certs.get(i)),
    ],
    cwd: REPO_ROOT,
  });
  const startSidecar = (i: number): void => {
    sidecars.set(i, sup.start(sidecarSpec(i, SIM_POOL)));
  };

  try {
    toxi = await startToxiproxy(toxiproxyApiPort);
    log(`toxiproxy ${toxi.version} at ${toxi.apiUrl}`);
    const proxy = toxi;
    await proxy.createProxy(
      CONTROL_LINK,
      `127.0.0.1:${controlProxyPort}`,
      `127.0.0.1:${stackPorts.control}`,
    );
    for (let i = 0; i < n; i++) {
      await proxy.createProxy(
        envoyLink(i),
        `${ENVOY_LINK_HOST}:${sidecarPorts[i]}`,
        `127.0.0.1:${sidecarPorts[i]}`,
      );
    }
    // Engines beside the stack's start: they need no one, and only their ports go into the config.
    const enginesUp = Promise.all(Array.from({ length: n }, (_, i) => startEngine(i)));
    const stackUp = startStack({
      replicas: 1,
      ports: stackPorts,
      threads: 1,
      log,
      ...(o.write ? { write: o.write } : {}),
      ...(o.logLevel ? { logLevel: o.logLevel } : {}),
      ...(o.envoyAccessLog ? { envoyAccessLog: true } : {}),
      // The simulated replicas' sidecars start as soon as placement answers, beside the real one.
      onPlacementUp: async ({ pki }) => {
        await enginesUp;
        for (let i = 0; i < n; i++) {
          if (pki) certs.set(i, await pki.sidecar(100 + i));
          startSidecar(i);
        }
      },
      tweak: (c) => {
        const base = c.pools[0];
        if (!base) throw new Error('stack config has no pool');
        const sim = structuredClone(base);
        sim.id = SIM_POOL;
        sim.model_ref = SIM_MODEL;
        sim.model_digest = `sha256:${simDigestHex()}`;
        delete sim.model_path;
        sim.prompt_format = 'raw';
        sim.replicas = n;
        sim.slots = o.simSlots;
        sim.replica_devices = Array.from({ length: n }, () => [...base.devices]);
        // External engines the sidecars do not launch: best effort, as in sim-stack.ts.
        sim.supervise = false;
        sim.determinism = 'best_effort';
        sim.engine_endpoints = enginePorts.map((p) => `http://127.0.0.1:${p}`);
        c.pools.push(sim);
        o.tweak?.(c);
      },
    });
    const [started] = await Promise.allSettled([stackUp, enginesUp]).then((r) => {
      if (r[0].status === 'fulfilled') stack = r[0].value;
      const failed = r.find((x) => x.status === 'rejected');
      if (failed) throw failed.reason;
      return [stack];
    });
    if (!started) throw new Error('stack did not start');
    const s = started;
    const waitReady = (pool: string, want: number, timeoutMs: number): Promise<void> =>
      waitForReadyReplicas(s.restUrl, pool, want, {
        timeoutMs,
        intervalMs: 100,
        diagnose: () =>
          [...sidecars.values(), ...engines.values()].map(
            (c) => `${c.name}: ${c.tail().slice(-3).join(' | ')}`,
          ),
      });
    await waitReady(SIM_POOL, n, 120_000);
    log(`sim pool: ${n} replicas Ready behind toxiproxy links`);
    return {
      stack: s,
      toxi,
      simReplicas: n,
      simReplicaId: (i) => replicaId(SIM_POOL, i),
      simEnginePid: (i) => engines.get(i)?.pid,
      simEngineUrl: (i) => `http://127.0.0.1:${enginePorts[i]}`,
      simSidecarPid: (i) => sidecars.get(i)?.pid,
      restartSimEngine: async (i) => {
        await engines.get(i)?.stop();
        await startEngine(i);
      },
      restartSimSidecar: async (i) => {
        await sidecars.get(i)?.stop();
        startSidecar(i);
      },
      waitReady,
      tail: (name) =>
        (name.startsWith('sim-engine-')
          ? engines.get(Number(name.slice('sim-engine-'.length)))?.tail()
          : name.startsWith('sim-sidecar-')
            ? sidecars.get(Number(name.slice('sim-sidecar-'.length)))?.tail()
            : s.tail(name)) ?? [],
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
