// How each process of the local stack is launched. Placement and sidecars run as real child
// processes (the shape production has), so tests can kill and restart them independently.
import { fileURLToPath } from 'node:url';
import type { CertFiles, ChildSpec, Toolchain } from '@llama-orch/tools';
import type { StackPorts } from './stack-config.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * How the stack runs its TypeScript services. `tsx` compiles the sources at every start, so tests
 * run the code as it is in the tree; `node` runs the bundles `node tools/build-runtime.mjs` built
 * from the same entry points (`<pkg>/src/main.ts` → `<pkg>/dist/main.mjs`), as the images and
 * manifests do: `npm run up` builds them first and uses them.
 */
export type StackRuntime = 'tsx' | 'node';

/** The bundle tools/build-runtime.mjs builds from a production entry point. */
export function bundleOf(entry: string): string {
  if (!/^[a-z-]+\/src\/main\.ts$/.test(entry)) {
    throw new Error(
      `${entry} has no production bundle (tools/build-runtime.mjs builds */src/main.ts)`,
    );
  }
  return entry.replace('/src/', '/dist/').replace(/\.ts$/, '.mjs');
}

/**
 * Issue 19: the node flags placement's bundle runs with, here, in its image's ENTRYPOINT and in
 * its Deployment's command (deploy/test/manifests.test.ts keeps the three equal). Measured with
 * `npm run bench:scale -- --only rss` (test-harness/bench/README.md):
 * - a 4 MiB young-generation semi-space instead of V8's 16 MiB: about 20 MiB less resident memory
 *   idle and 25–35 MiB less with tens of thousands of queued tasks, at the same admission rate;
 * - `--optimize-for-size` (V8 grows the old generation in smaller steps): 212 → 183 MiB with
 *   100,000 queued tasks, at ~7 % fewer admissions per second in a burst and no difference in the
 *   side-by-side bench's latency or placement CPU per token beyond its run-to-run noise.
 * `--optimize-for-size` is not allowed in NODE_OPTIONS, so both go on the command line.
 */
export const PLACEMENT_NODE_FLAGS = ['--max-semi-space-size=4', '--optimize-for-size'] as const;

/**
 * Issue 19: placement's environment beyond the caller's. `MALLOC_ARENA_MAX=1`: glibc's malloc keeps
 * one arena instead of one per thread that ever allocated (V8's GC and compiler threads, libuv's
 * pool); placement's native allocations are few and made on the main thread, and the per-thread
 * arenas were ~8 MiB of resident memory, idle and with 100,000 queued tasks alike
 * (`npm run bench:scale -- --only rss`: 182 → 174 MiB, same admission rate). The image and the
 * Deployment set the same variables (deploy/test/manifests.test.ts checks).
 */
export const PLACEMENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };

/** A TypeScript entry point, with this repo as the working directory. */
function tsEntry(
  name: string,
  entry: string,
  args: string[],
  runtime: StackRuntime,
  nodeFlags: readonly string[] = [],
): ChildSpec {
  return {
    name,
    cmd: process.execPath,
    args:
      runtime === 'node'
        ? [...nodeFlags, bundleOf(entry), ...args]
        : ['--import', 'tsx', entry, ...args],
    cwd: REPO_ROOT,
  };
}

/** With LLAMA_ORCH_TEST_HOOKS=1 (Pact, BDD) placement starts from the test entry point that adds
 * the provider-state hook; production's entry point cannot load it. */
function gatewayEntry(env: NodeJS.ProcessEnv = process.env): string {
  return env.LLAMA_ORCH_TEST_HOOKS === '1'
    ? 'gateway/test/support/main-with-test-hooks.ts'
    : 'gateway/src/main.ts';
}

/** @param baseEnv the environment placement's own (PLACEMENT_ENV) is added to; default process.env */
export function gatewaySpec(
  configPath: string,
  logLevel: string,
  runtime: StackRuntime = 'tsx',
  baseEnv?: NodeJS.ProcessEnv,
): ChildSpec {
  return {
    ...tsEntry(
      'placement',
      gatewayEntry(),
      ['--config', configPath, '--log-level', logLevel],
      runtime,
      PLACEMENT_NODE_FLAGS,
    ),
    env: { ...(baseEnv ?? process.env), ...PLACEMENT_ENV },
  };
}

interface SidecarSpecInput {
  index: number;
  poolId: string;
  modelRef: string;
  ports: StackPorts;
  toolchain: Toolchain;
  /** The GGUF this replica launches and its sha256 (hex), checked before launch. */
  model: { path: string; sha256: string };
  threads: number;
  ctx: number;
  /** The pool's sampler_profile_version, which the replica registers and serves (ORCH-3058). */
  samplerProfile: string;
  /** ORCH-3011: the replica's device mask from the pool config (`replica_devices[index]`). */
  devices?: readonly string[];
  /** ORCH-3012: the pool's `tensor_split`, passed only with a multi-GPU mask. */
  tensorSplit?: readonly number[];
  /** ORCH-3142: the sidecar's client certificate for placement's mTLS control listener. */
  tls?: CertFiles;
  /** tsx (default) or the built bundle. */
  runtime?: StackRuntime;
}

export function replicaId(poolId: string, index: number): string {
  return `${poolId}-r${index}`;
}

export function sidecarSpec(i: SidecarSpecInput): ChildSpec {
  const port = i.ports.sidecars[i.index];
  const enginePort = i.ports.engines[i.index];
  if (port === undefined || enginePort === undefined) {
    throw new Error(`no ports allocated for replica ${i.index}`);
  }
  return tsEntry(
    `sidecar-${i.index}`,
    'sidecar/src/main.ts',
    [
      '--replica-id',
      replicaId(i.poolId, i.index),
      '--pool-id',
      i.poolId,
      '--model-ref',
      i.modelRef,
      '--port',
      String(port),
      '--placement',
      `127.0.0.1:${i.ports.control}`,
      '--supervise',
      '--engine-binary',
      i.toolchain.llamaServer.bin,
      '--model-path',
      i.model.path,
      '--model-digest',
      i.model.sha256,
      '--engine-port',
      String(enginePort),
      '--threads',
      String(i.threads),
      '--ctx',
      String(i.ctx),
      '--sampler-profile',
      i.samplerProfile,
      ...(i.devices && i.devices.length > 0 ? ['--devices', i.devices.join(',')] : []),
      ...(i.tensorSplit && (i.devices?.length ?? 0) > 1
        ? ['--tensor-split', i.tensorSplit.join(',')]
        : []),
      // ORCH-3142: mTLS to placement; its dev certificate names localhost (an IP is no TLS
      // server name).
      ...(i.tls
        ? [
            '--tls-ca',
            i.tls.ca,
            '--tls-cert',
            i.tls.cert,
            '--tls-key',
            i.tls.key,
            '--tls-server-name',
            'localhost',
          ]
        : []),
    ],
    i.runtime ?? 'tsx',
  );
}

export function envoySpec(toolchain: Toolchain, bootstrapPath: string): ChildSpec {
  return {
    name: 'envoy',
    cmd: toolchain.envoy.bin,
    // A dynamic base id lets several stacks (tests, `npm run up`) share one machine.
    args: ['-c', bootstrapPath, '--use-dynamic-base-id', '--log-level', 'warn'],
  };
}
