// orchctl settings. Precedence: flags > env (ORCH_URL, ORCH_API_KEY, ORCH_MODEL) > config file
// (--config, else ~/.config/llama-orch/orchctl.yaml when present) > defaults.
import { join } from 'node:path';
import type { Engine, Priority } from '@llama-orch/contracts';
import { ENGINES } from '@llama-orch/contracts/engines';
import { parse } from 'yaml';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
const DEFAULT_CONFIG_PATH = ['.config', 'llama-orch', 'orchctl.yaml'];

export interface OrchctlConfig {
  url: string;
  apiKey?: string;
  /** model_ref for new tasks; when unset, the single model the fleet serves is used. */
  model?: string;
  engine: Engine;
  priority: Priority;
  maxTokens: number;
  ctx: number;
  deadlineMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const PRIORITIES: readonly Priority[] = ['interactive', 'batch'];

/** Keys of the YAML file (snake_case, like the server's config) → how to read each. */
const FILE_KEYS = {
  url: 'string',
  api_key: 'string',
  model: 'string',
  engine: 'engine',
  priority: 'priority',
  max_tokens: 'count',
  ctx: 'count',
  deadline_ms: 'ms',
} as const;

interface ConfigInput {
  readonly flags: { url?: string; 'api-key'?: string; config?: string };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readFile(path: string): Promise<string>;
}

export async function loadConfig(input: ConfigInput): Promise<OrchctlConfig> {
  const file = await readConfigFile(input);
  const config: OrchctlConfig = {
    url: DEFAULT_URL,
    engine: 'llamacpp',
    priority: 'interactive',
    maxTokens: 64,
    ctx: 2048,
    deadlineMs: 0,
    ...file,
  };
  const env = input.env;
  if (env.ORCH_URL) config.url = env.ORCH_URL;
  if (env.ORCH_API_KEY) config.apiKey = env.ORCH_API_KEY;
  if (env.ORCH_MODEL) config.model = env.ORCH_MODEL;
  if (input.flags.url) config.url = input.flags.url;
  if (input.flags['api-key']) config.apiKey = input.flags['api-key'];
  if (!/^https?:\/\/[^/]+/.test(config.url)) {
    throw new ConfigError(`url must be http(s)://host[:port], got ${JSON.stringify(config.url)}`);
  }
  return config;
}

async function readConfigFile(input: ConfigInput): Promise<Partial<OrchctlConfig>> {
  const explicit = input.flags.config;
  const path = explicit ?? join(input.home, ...DEFAULT_CONFIG_PATH);
  let text: string;
  try {
    text = await input.readFile(path);
  } catch (error) {
    // The default file is optional; a file named with --config must exist.
    if (!explicit && (error as { code?: string }).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read config ${path}: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: invalid YAML: ${(error as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`${path}: expected a mapping of settings`);
  }
  return fromFile(doc as Record<string, unknown>, path);
}

function fromFile(doc: Record<string, unknown>, path: string): Partial<OrchctlConfig> {
  const out: Partial<OrchctlConfig> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (!(key in FILE_KEYS)) {
      throw new ConfigError(
        `${path}: unknown setting "${key}" (known: ${Object.keys(FILE_KEYS).join(', ')})`,
      );
    }
    const kind = FILE_KEYS[key as keyof typeof FILE_KEYS];
    const bad = (): never => {
      throw new ConfigError(
        `${path}: ${key} must be ${describe(kind)}, got ${JSON.stringify(value)}`,
      );
    };
    if (kind === 'string' && typeof value !== 'string') bad();
    if (kind === 'engine' && !ENGINES.includes(value as Engine)) bad();
    if (kind === 'priority' && !PRIORITIES.includes(value as Priority)) bad();
    if (kind === 'count' && !(Number.isInteger(value) && (value as number) >= 1)) bad();
    if (kind === 'ms' && !(Number.isInteger(value) && (value as number) >= 0)) bad();
    assign(out, key as keyof typeof FILE_KEYS, value);
  }
  return out;
}

/** The config field each file key sets (the file uses the API's snake_case names). */
const FIELD_OF: Readonly<Record<keyof typeof FILE_KEYS, keyof OrchctlConfig>> = {
  url: 'url',
  api_key: 'apiKey',
  model: 'model',
  engine: 'engine',
  priority: 'priority',
  max_tokens: 'maxTokens',
  ctx: 'ctx',
  deadline_ms: 'deadlineMs',
};

// The value's type was checked against FILE_KEYS[key] by the caller.
function assign(out: Partial<OrchctlConfig>, key: keyof typeof FILE_KEYS, value: unknown): void {
  (out as Record<string, unknown>)[FIELD_OF[key]] = value;
}

function describe(kind: (typeof FILE_KEYS)[keyof typeof FILE_KEYS]): string {
  switch (kind) {
    case 'engine':
      return `one of ${ENGINES.join('|')}`;
    case 'priority':
      return `one of ${PRIORITIES.join('|')}`;
    case 'count':
      return 'an integer >= 1';
    case 'ms':
      return 'an integer >= 0 (milliseconds)';
    default:
      return 'a string';
  }
}

export { PRIORITIES };
