// The local stack, in start order. Each service says how to prepare, start and prove itself
// healthy. Adding placement (gateway) and a sidecar later means adding entries here.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildSpec } from '../procs/supervisor.js';
import type { Toolchain } from '../toolchain/load.js';
import { ENVOY_LOCAL_FLAGS, renderLoopbackEnvoy, validateEnvoyConfig } from './envoy-loopback.js';
import { llamaServerArgs, probeLlamaFlags } from './llama-args.js';

export interface Ports {
  /** Public edge (ORCH-4001). */
  envoy: number;
  envoyAdmin: number;
  /** Engine n = 8200 + n. */
  engine: number;
}

export interface UpContext {
  toolchain: Toolchain;
  ports: Ports;
  /** Scratch dir for generated configs (removed on exit). */
  tmp: string;
  log: (msg: string) => void;
}

export interface Service {
  name: string;
  /** Generates and validates configs and returns the command; throws to abort the start. */
  prepare(ctx: UpContext): Promise<ChildSpec>;
  healthUrl(ctx: UpContext): string;
  healthTimeoutMs: number;
}

export const llamaServerService: Service = {
  name: 'llama-server',
  async prepare(ctx) {
    const { bin, buildInfo, flavour } = ctx.toolchain.llamaServer;
    const flags = await probeLlamaFlags(bin);
    const built = llamaServerArgs(
      {
        modelPath: ctx.toolchain.model.path,
        port: ctx.ports.engine,
        // The cuda flavour offloads every layer; the CPU carve-out keeps them on the host.
        gpuLayers: flavour === 'cuda' ? 999 : 0,
      },
      flags,
    );
    if (built.unsupported.length > 0) {
      ctx.log(`llama-server ${buildInfo} lacks determinism flags: ${built.unsupported.join(' ')}`);
    }
    if (flavour === 'cpu') ctx.log('llama-server: CPU build, the CI-only carve-out (ORCH-1101)');
    return { name: 'llama-server', cmd: bin, args: built.args };
  },
  healthUrl: (ctx) => `http://127.0.0.1:${ctx.ports.engine}/health`,
  healthTimeoutMs: 120_000,
};

export const envoyService: Service = {
  name: 'envoy',
  async prepare(ctx) {
    const config = renderLoopbackEnvoy({
      listenPort: ctx.ports.envoy,
      adminPort: ctx.ports.envoyAdmin,
      upstreamPort: ctx.ports.engine,
    });
    await writeFile(join(ctx.tmp, 'envoy.json'), config);
    await validateEnvoyConfig(ctx.toolchain.envoy.bin, join(ctx.tmp, 'envoy.json'));
    ctx.log('envoy: config validated (--mode validate)');
    return {
      name: 'envoy',
      cmd: ctx.toolchain.envoy.bin,
      args: ['-c', join(ctx.tmp, 'envoy.json'), ...ENVOY_LOCAL_FLAGS, '--log-level', 'warn'],
    };
  },
  // Through the edge to the engine: proves the whole path, not just that Envoy is up.
  healthUrl: (ctx) => `http://127.0.0.1:${ctx.ports.envoy}/health`,
  healthTimeoutMs: 30_000,
};

export const SERVICES: readonly Service[] = [llamaServerService, envoyService];

function portFromEnv(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${key}=${raw} is not a port`);
  return n;
}

export function portsFromEnv(env: NodeJS.ProcessEnv = process.env): Ports {
  return {
    envoy: portFromEnv(env, 'LLAMA_ORCH_ENVOY_PORT', 8080),
    envoyAdmin: portFromEnv(env, 'LLAMA_ORCH_ENVOY_ADMIN_PORT', 9901),
    engine: portFromEnv(env, 'LLAMA_ORCH_ENGINE_PORT', 8200),
  };
}
