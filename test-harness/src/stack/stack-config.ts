// The config file a local stack runs with: the committed local CPU example, with the ports,
// replica count and model digest of this run filled in. The gateway validates it again on load.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@llama-orch/contracts';
import type { Config, PromptFormat } from '@llama-orch/contracts';
import { stringify } from 'yaml';

export const LOCAL_CONFIG_PATH = fileURLToPath(
  new URL('../../../contracts/examples/config/local-cpu.yaml', import.meta.url),
);

export interface StackPorts {
  envoy: number;
  envoyAdmin: number;
  rest: number;
  extProc: number;
  control: number;
  /** One per replica, in replica order. */
  sidecars: number[];
  engines: number[];
}

interface StackConfigInput {
  ports: StackPorts;
  replicas: number;
  /** The pool's model: the ref clients send, its digest, and how prompts reach it (ORCH-3102). */
  model?: { ref: string; promptFormat: PromptFormat };
  modelDigest: string;
  /** The model file the sidecars launch; the gateway needs it to reload a pool back to its model. */
  modelPath?: string;
  /** Applied last, for tests that need small queues or short timeouts. */
  tweak?: (config: Config) => void;
}

export function buildStackConfig(input: StackConfigInput): Config {
  const config = parseConfig(readFileSync(LOCAL_CONFIG_PATH, 'utf8'), LOCAL_CONFIG_PATH);
  const { ports } = input;
  config.listen.envoy_port = ports.envoy;
  config.listen.envoy_admin_port = ports.envoyAdmin;
  config.listen.rest_port = ports.rest;
  config.listen.ext_proc_port = ports.extProc;
  config.listen.control_port = ports.control;
  const pool = config.pools[0];
  if (!pool) throw new Error(`${LOCAL_CONFIG_PATH} defines no pool`);
  pool.replicas = input.replicas;
  // One device mask per replica; every replica of the local pool runs on the same CPU mask.
  pool.replica_devices = Array.from({ length: input.replicas }, () => [...pool.devices]);
  if (input.model) {
    pool.model_ref = input.model.ref;
    pool.prompt_format = input.model.promptFormat;
  }
  pool.model_digest = input.modelDigest;
  if (input.modelPath) pool.model_path = input.modelPath;
  input.tweak?.(config);
  return config;
}

/** YAML for the gateway's --config; re-parsed here so a bad tweak fails before any spawn. */
export function renderStackConfig(config: Config): string {
  const text = stringify(config);
  parseConfig(text, 'stack config');
  return text;
}
