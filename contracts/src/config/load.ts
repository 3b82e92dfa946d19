// loadConfig: YAML text or file → schema validation with defaults → cross-field checks → a typed
// Config. Errors name every bad field (ORCH-3030); unknown fields are rejected.
import { existsSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { ConfigSchema, DEFAULT_PROMPT_FORMAT } from './schema.js';
import type { ConfigInput } from './schema.js';
import { DEFAULT_PLACEMENT_PROFILE } from './placement.js';
import { semanticIssues } from './semantic.js';
import type { ConfigIssue } from './semantic.js';
import type { Config, PoolConfig, QueueConfig } from './types.js';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly source: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `invalid config ${source}:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  validator ??= new Ajv2020({ strict: true, allErrors: true, useDefaults: true }).compile(
    ConfigSchema,
  );
  return validator;
}

/** `/pools/0/devices/1` → `pools[0].devices[1]`. */
export function dottedPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out || '(root)';
}

function toIssues(errors: ErrorObject[]): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const e of errors) {
    let path = e.instancePath;
    let message = e.message ?? e.keyword;
    const params = e.params as {
      additionalProperty?: string;
      missingProperty?: string;
      allowedValues?: unknown[];
    };
    if (e.keyword === 'additionalProperties') {
      path += `/${params.additionalProperty}`;
      message = 'unknown field';
    } else if (e.keyword === 'required') {
      path += `/${params.missingProperty}`;
      message = 'is required';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${JSON.stringify(params.allowedValues)}`;
    }
    const issue = { path: dottedPath(path), message };
    const key = `${issue.path} ${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function mergeQueue(global: QueueConfig, own: ConfigInput['queue']): QueueConfig {
  return {
    interactive: { ...global.interactive, ...own?.interactive } as QueueConfig['interactive'],
    batch: { ...global.batch, ...own?.batch } as QueueConfig['batch'],
  };
}

/**
 * ORCH-3140: bare sha256 key hashes are retired. They cannot be converted (the keys are not
 * known), so the config is refused with the migration instead of a bare "unknown field".
 */
function legacyKeyIssues(input: Record<string, unknown>): ConfigIssue[] {
  const tenants = Array.isArray(input.tenants) ? (input.tenants as unknown[]) : [];
  return tenants.flatMap((t, n) =>
    typeof t === 'object' && t !== null && 'api_key_sha256' in t
      ? [
          {
            path: `tenants[${n}].api_key_sha256`,
            message:
              'retired (bare sha256): list api_key_hmac instead, the HMAC-SHA256 of each key ' +
              'under the server secret (see gateway/README.md, "Migrating from api_key_sha256")',
          },
        ]
      : [],
  );
}

/** Validate an already-parsed value; returns the resolved config or throws ConfigError. */
export function validateConfig(value: unknown, source = '(inline)'): Config {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(source, [{ path: '(root)', message: 'must be a YAML mapping' }]);
  }
  // Defaults are applied to a copy: the caller's object is never mutated.
  const input = structuredClone(value) as Record<string, unknown>;
  const sections = ['listen', 'auth', 'queue', 'timeouts', 'sessions', 'fairness', 'control'];
  for (const key of [...sections, 'journal', 'placement']) {
    input[key] ??= {};
  }
  (input.control as Record<string, unknown>).circuit_breaker ??= {};
  const queue = input.queue as Record<string, unknown>;
  queue.interactive ??= {};
  queue.batch ??= {};
  const legacy = legacyKeyIssues(input);
  if (legacy.length > 0) throw new ConfigError(source, legacy);
  const validate = schemaValidator();
  if (!validate(input)) throw new ConfigError(source, toIssues(validate.errors ?? []));
  const c = input as unknown as ConfigInput & Omit<Config, 'pools' | 'tenants' | 'models'>;
  const config: Config = {
    ...c,
    pools: c.pools.map((p): PoolConfig => ({
      ...p,
      cpu_carve_out: p.cpu_carve_out ?? false,
      slots: p.slots ?? 1,
      replicas: p.replicas ?? 1,
      sampler_profile_version: p.sampler_profile_version ?? 'v1',
      prompt_format: p.prompt_format ?? DEFAULT_PROMPT_FORMAT[p.engine],
      determinism: p.determinism ?? 'strict',
      supervise: p.supervise ?? true,
      engine_args: p.engine_args ?? [],
      replica_devices:
        p.replica_devices ?? Array.from({ length: p.replicas ?? 1 }, () => [...p.devices]),
      queue: mergeQueue(c.queue, p.queue),
      placement_profile: p.placement_profile ?? DEFAULT_PLACEMENT_PROFILE,
    })),
    tenants: (c.tenants ?? []).map((t) => ({
      ...t,
      weight: t.weight ?? c.fairness.default_weight,
      operator: t.operator ?? false,
      quotas: t.quotas ?? {},
    })),
    models: c.models ?? [],
  };
  const issues = semanticIssues(config);
  if (issues.length > 0) throw new ConfigError(source, issues);
  return config;
}

/** Parse YAML text and validate it. */
export function parseConfig(yamlText: string, source = '(inline)'): Config {
  let value: unknown;
  try {
    value = parse(yamlText);
  } catch (e) {
    throw new ConfigError(source, [{ path: '(yaml)', message: (e as Error).message }]);
  }
  return validateConfig(value, source);
}

/** Load from a file path, or from YAML text when the argument is not an existing file. */
export function loadConfig(pathOrYaml: string): Config {
  if (!pathOrYaml.includes('\n') && existsSync(pathOrYaml)) {
    return parseConfig(readFileSync(pathOrYaml, 'utf8'), pathOrYaml);
  }
  if (!pathOrYaml.includes('\n') && !pathOrYaml.includes(':')) {
    throw new ConfigError(pathOrYaml, [{ path: '(file)', message: 'no such file' }]);
  }
  return parseConfig(pathOrYaml);
}
