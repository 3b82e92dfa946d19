// The sidecar's command line (ORCH-3115): one table of flags feeds parsing, validation, `--help`
// and the README's flag table, so a flag cannot exist in one place and not the others. A bad
// value (`--port abc`) is a startup error naming the flag and its env variable, never a NaN.
import { parseArgs } from 'node:util';

type FlagKind = 'string' | 'int' | 'port' | 'bool' | 'list' | 'number-list' | 'argv';

interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  /** Environment variable read when the flag is absent. */
  env: string;
  kind: FlagKind;
  default?: string | number | boolean;
  /** Smallest accepted value of an int (default 0). */
  min?: number;
  help: string;
  /** Heading in --help and the README. */
  group: 'replica' | 'supervised engine' | 'external engine' | 'determinism' | 'crash restarts';
}

export const SIDECAR_FLAGS: readonly FlagSpec[] = [
  {
    group: 'replica',
    name: 'replica-id',
    env: 'SIDECAR_REPLICA_ID',
    kind: 'string',
    help: 'replica id placement knows this sidecar by (required)',
  },
  {
    group: 'replica',
    name: 'pool-id',
    env: 'SIDECAR_POOL_ID',
    kind: 'string',
    default: 'default',
    help: 'pool the replica serves',
  },
  {
    group: 'replica',
    name: 'engine',
    env: 'SIDECAR_ENGINE',
    kind: 'string',
    default: 'llamacpp',
    help: 'adapter: llamacpp, vllm, tgi or triton',
  },
  {
    group: 'replica',
    name: 'model-ref',
    env: 'SIDECAR_MODEL_REF',
    kind: 'string',
    help: "the pool's model_ref (required)",
  },
  {
    group: 'replica',
    name: 'host',
    env: 'SIDECAR_HOST',
    kind: 'string',
    default: '127.0.0.1',
    help: 'HTTP bind address of the routed stream, /healthz, /metrics',
  },
  {
    group: 'replica',
    name: 'port',
    env: 'SIDECAR_PORT',
    kind: 'port',
    default: 8100,
    help: 'HTTP port (0 picks a free one)',
  },
  {
    group: 'replica',
    name: 'advertise-host',
    env: 'SIDECAR_ADVERTISE_HOST',
    kind: 'string',
    help: 'host placement routes to (default: --host)',
  },
  {
    group: 'replica',
    name: 'resume-window-ms',
    env: 'SIDECAR_RESUME_WINDOW_MS',
    kind: 'int',
    default: 30_000,
    help: 'a stream whose client left goes on this long for a Last-Event-ID reconnect; finished streams stay readable as long (ORCH-4032; 0: off)',
  },
  {
    group: 'replica',
    name: 'placement',
    env: 'SIDECAR_PLACEMENT',
    kind: 'string',
    default: '127.0.0.1:9003',
    help: "placement's control address host:port",
  },
  {
    group: 'replica',
    name: 'tls-ca',
    env: 'SIDECAR_TLS_CA',
    kind: 'string',
    help: "PEM CA placement's certificate must chain to; with --tls-cert/--tls-key: mTLS (ORCH-3142)",
  },
  {
    group: 'replica',
    name: 'tls-cert',
    env: 'SIDECAR_TLS_CERT',
    kind: 'string',
    help: "this sidecar's client certificate (PEM), re-read every minute (ORCH-3143)",
  },
  {
    group: 'replica',
    name: 'tls-key',
    env: 'SIDECAR_TLS_KEY',
    kind: 'string',
    help: 'private key of --tls-cert (PEM)',
  },
  {
    group: 'replica',
    name: 'tls-server-name',
    env: 'SIDECAR_TLS_SERVER_NAME',
    kind: 'string',
    help: "name checked in placement's certificate (default: the host of --placement)",
  },
  {
    group: 'replica',
    name: 'sampler-profile',
    env: 'SIDECAR_SAMPLER_PROFILE',
    kind: 'string',
    default: 'v1',
    help: 'sampler profile version',
  },
  {
    group: 'supervised engine',
    name: 'supervise',
    env: 'SIDECAR_SUPERVISE',
    kind: 'bool',
    default: false,
    help: 'launch and supervise the engine (else attach to --engine-url)',
  },
  {
    group: 'supervised engine',
    name: 'engine-binary',
    env: 'SIDECAR_ENGINE_BINARY',
    kind: 'string',
    help: 'llama-server binary (required with --supervise)',
  },
  {
    group: 'supervised engine',
    name: 'model-path',
    env: 'SIDECAR_MODEL_PATH',
    kind: 'string',
    help: 'GGUF path (required with --supervise)',
  },
  {
    group: 'supervised engine',
    name: 'model-digest',
    env: 'SIDECAR_MODEL_DIGEST',
    kind: 'string',
    help: 'sha256 of the GGUF (required with --supervise; optional for an external engine)',
  },
  {
    group: 'supervised engine',
    name: 'engine-port',
    env: 'SIDECAR_ENGINE_PORT',
    kind: 'port',
    default: 8200,
    help: "engine's HTTP port",
  },
  {
    group: 'supervised engine',
    name: 'ctx',
    env: 'SIDECAR_CTX',
    kind: 'int',
    min: 1,
    default: 2048,
    help: 'context size',
  },
  {
    group: 'supervised engine',
    name: 'threads',
    env: 'SIDECAR_THREADS',
    kind: 'int',
    min: 1,
    default: 2,
    help: 'CPU threads',
  },
  {
    group: 'supervised engine',
    name: 'batch',
    env: 'SIDECAR_BATCH',
    kind: 'int',
    min: 1,
    default: 2048,
    help: 'logical batch size',
  },
  {
    group: 'supervised engine',
    name: 'ubatch',
    env: 'SIDECAR_UBATCH',
    kind: 'int',
    min: 1,
    default: 512,
    help: 'physical batch size',
  },
  {
    group: 'supervised engine',
    name: 'devices',
    env: 'SIDECAR_DEVICES',
    kind: 'list',
    help: 'device mask, e.g. cuda:0,cuda:1 (ORCH-3011)',
  },
  {
    group: 'supervised engine',
    name: 'tensor-split',
    env: 'SIDECAR_TENSOR_SPLIT',
    kind: 'number-list',
    help: 'split ratios, one per device, e.g. 0.6,0.4 (ORCH-3012)',
  },
  {
    group: 'external engine',
    name: 'engine-url',
    env: 'SIDECAR_ENGINE_URL',
    kind: 'string',
    default: 'http://127.0.0.1:8200',
    help: "engine's base URL",
  },
  {
    group: 'external engine',
    name: 'engine-model',
    env: 'SIDECAR_ENGINE_MODEL',
    kind: 'string',
    help: 'model name the engine serves (vLLM, Triton)',
  },
  {
    group: 'external engine',
    name: 'engine-metrics-url',
    env: 'SIDECAR_ENGINE_METRICS_URL',
    kind: 'string',
    help: "engine's Prometheus URL",
  },
  {
    group: 'external engine',
    name: 'engine-declare',
    env: 'SIDECAR_ENGINE_DECLARE',
    kind: 'list',
    help: 'declared engine properties, e.g. batch_invariant',
  },
  {
    group: 'external engine',
    name: 'engine-launch-args',
    env: 'SIDECAR_ENGINE_LAUNCH_ARGS',
    kind: 'argv',
    help: "the engine's command line as a JSON array, as its launcher declared it (the injection webhook does); strict mode checks its flags (ORCH-4016)",
  },
  {
    group: 'determinism',
    name: 'strict',
    env: 'SIDECAR_DETERMINISM_STRICT',
    kind: 'bool',
    default: true,
    help: 'a non-compliant engine refuses Ready (ORCH-4016); --no-strict turns it off',
  },
  {
    group: 'crash restarts',
    name: 'restart-initial-ms',
    env: 'SIDECAR_RESTART_INITIAL_MS',
    kind: 'int',
    default: 1000,
    help: 'first restart backoff (ORCH-3038)',
  },
  {
    group: 'crash restarts',
    name: 'restart-max-ms',
    env: 'SIDECAR_RESTART_MAX_MS',
    kind: 'int',
    default: 30_000,
    help: 'backoff ceiling',
  },
  {
    group: 'crash restarts',
    name: 'restart-max',
    env: 'SIDECAR_RESTART_MAX',
    kind: 'int',
    default: 5,
    help: 'restarts allowed per window (ORCH-3053)',
  },
  {
    group: 'crash restarts',
    name: 'restart-window-ms',
    env: 'SIDECAR_RESTART_WINDOW_MS',
    kind: 'int',
    min: 1,
    default: 600_000,
    help: 'restart-storm window',
  },
];

type FlagValue = string | number | boolean | string[] | number[];

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

const spec = (name: string): FlagSpec => {
  const s = SIDECAR_FLAGS.find((f) => f.name === name);
  if (s === undefined) throw new Error(`no sidecar flag --${name}`);
  return s;
};

const source = (s: FlagSpec, fromFlag: boolean): string => (fromFlag ? `--${s.name}` : s.env);

function convert(s: FlagSpec, raw: string, fromFlag: boolean): FlagValue {
  const where = source(s, fromFlag);
  switch (s.kind) {
    case 'string':
      if (raw.trim() === '') throw new FlagError(`${where}: empty value`);
      return raw;
    case 'int':
    case 'port': {
      const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
      const min = s.kind === 'port' ? 0 : (s.min ?? 0);
      const max = s.kind === 'port' ? 65535 : Number.MAX_SAFE_INTEGER;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        const what = s.kind === 'port' ? 'a TCP port (0-65535)' : `an integer >= ${min}`;
        throw new FlagError(`${where}: "${raw}" is not ${what}`);
      }
      return n;
    }
    case 'bool':
      if (['1', 'true'].includes(raw)) return true;
      if (['0', 'false'].includes(raw)) return false;
      throw new FlagError(`${where}: "${raw}" is not 1/0/true/false`);
    case 'list':
      return raw
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    case 'argv': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
        throw new FlagError(`${where}: "${raw}" is not a JSON array of strings`);
      return parsed as string[];
    }
    case 'number-list':
      return raw
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .map((x) => {
          const n = Number(x);
          if (x === '' || !Number.isFinite(n))
            throw new FlagError(`${where}: "${x}" in "${raw}" is not a number`);
          return n;
        });
  }
}

export interface ParsedFlags {
  /** --help / -h was given. */
  help: boolean;
  get(name: string): FlagValue | undefined;
  /** A string flag that must be set (flag, env or default), else a FlagError naming both. */
  required(name: string): string;
  str(name: string): string | undefined;
  int(name: string): number;
  bool(name: string): boolean;
  list(name: string): string[];
  numbers(name: string): number[];
  /** A JSON-array flag; undefined when not given. */
  argv(name: string): string[] | undefined;
}

/** Parses argv (without node and script) and env against SIDECAR_FLAGS; throws FlagError. */
export function parseSidecarFlags(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const s of SIDECAR_FLAGS) {
    options[s.name] = { type: s.kind === 'bool' ? 'boolean' : 'string' };
    if (s.kind === 'bool') options[`no-${s.name}`] = { type: 'boolean' };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false })
      .values as typeof values;
  } catch (e) {
    throw new FlagError(`${(e as Error).message} (see --help)`);
  }
  const out = new Map<string, FlagValue>();
  for (const s of SIDECAR_FLAGS) {
    const flag = values[s.name];
    if (s.kind === 'bool' && values[`no-${s.name}`] === true) {
      if (flag === true) throw new FlagError(`--${s.name} and --no-${s.name} both given`);
      out.set(s.name, false);
    } else if (flag !== undefined) {
      out.set(s.name, typeof flag === 'boolean' ? flag : convert(s, flag, true));
    } else if (env[s.env] !== undefined && env[s.env] !== '') {
      out.set(s.name, convert(s, env[s.env] ?? '', false));
    } else if (s.default !== undefined) {
      out.set(s.name, s.default);
    }
  }
  const typed = <T extends FlagValue>(name: string, kind: FlagKind[], fallback: T): T => {
    const s = spec(name);
    if (!kind.includes(s.kind)) throw new Error(`--${name} is a ${s.kind} flag`);
    return (out.get(name) as T | undefined) ?? fallback;
  };
  return {
    help: values.help === true,
    get: (name) => out.get(spec(name).name),
    required(name) {
      const v = typed<string>(name, ['string'], '');
      if (v === '') {
        const s = spec(name);
        throw new FlagError(`missing --${s.name} / ${s.env}`);
      }
      return v;
    },
    str: (name) => {
      const v = typed<string>(name, ['string'], '');
      return v === '' ? undefined : v;
    },
    int: (name) => typed<number>(name, ['int', 'port'], NaN),
    bool: (name) => typed<boolean>(name, ['bool'], false),
    list: (name) => typed<string[]>(name, ['list'], []),
    numbers: (name) => typed<number[]>(name, ['number-list'], []),
    argv: (name) => (out.has(spec(name).name) ? typed<string[]>(name, ['argv'], []) : undefined),
  };
}

const usage = (s: FlagSpec): string =>
  s.kind === 'bool'
    ? `--${s.name} / --no-${s.name}`
    : `--${s.name} <${s.kind === 'port' ? 'port' : s.kind === 'int' ? 'n' : s.kind.includes('list') ? 'a,b' : s.kind === 'argv' ? '["a","b"]' : 'value'}>`;
const dflt = (s: FlagSpec): string => (s.default === undefined ? '' : String(s.default));
const groups = (): string[] => [...new Set(SIDECAR_FLAGS.map((f) => f.group))];

/** The text `--help` prints. */
export function renderHelp(): string {
  const lines = ['usage: sidecar [flags]   (every flag may also come from its env variable)', ''];
  for (const g of groups()) {
    lines.push(`${g}:`);
    for (const s of SIDECAR_FLAGS.filter((f) => f.group === g)) {
      const d = dflt(s);
      lines.push(`  ${usage(s).padEnd(34)} ${s.help}${d !== '' ? ` [${d}]` : ''} (${s.env})`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The README's flag table (sidecar/README.md, between the flags markers). */
export function renderFlagsMarkdown(): string {
  const rows = SIDECAR_FLAGS.map(
    (s) =>
      `| ${s.group} | \`${usage(s)}\` | \`${s.env}\` | ${dflt(s) !== '' ? `\`${dflt(s)}\`` : ''} | ${s.help.replace(/\|/g, '\\|')} |`,
  );
  return [
    '| group | flag | env | default | what |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
