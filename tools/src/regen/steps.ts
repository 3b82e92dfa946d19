// The generator steps behind `npm run regen`, in order (ORCH-5005). Each step is a command run
// from the repository root; `outputs` are the paths it owns, which the --check gate diffs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface RegenStep {
  name: string;
  /** Working directory relative to the repo root. */
  cwd: string;
  cmd: string;
  args: string[];
  /** Generated paths (relative to the repo root) this step writes. */
  outputs: string[];
  /** Directories emptied first, so deleted sources leave no stale output. */
  clean: string[];
  /** Skip (with a note) when this file is missing. */
  requires?: string;
  /** Extra environment for the command. */
  env?: Record<string, string>;
  /**
   * A test that itself fails on drift, so --check leaves the step out instead of running it
   * twice more in the gates (the vitest gate already runs it); named in the check's log.
   */
  checkedBy?: string;
}

const bin = (root: string, name: string): string => join(root, 'node_modules', '.bin', name);

export function regenSteps(root: string): RegenStep[] {
  const openapi = (doc: 'data' | 'control'): RegenStep => ({
    name: `openapi-typescript ${doc}.yaml`,
    cwd: 'contracts',
    cmd: bin(root, 'openapi-typescript'),
    // --default-non-nullable false: fields with a default stay optional in request types.
    args: [
      `openapi/${doc}.yaml`,
      '-o',
      `src/generated/${doc}.ts`,
      '--default-non-nullable',
      'false',
    ],
    outputs: [`contracts/src/generated/${doc}.ts`],
    clean: [],
  });
  return [
    {
      name: 'buf generate (ts-proto)',
      cwd: 'proto',
      cmd: bin(root, 'buf'),
      args: ['generate'],
      outputs: ['proto/src/generated'],
      clean: ['proto/src/generated'],
    },
    openapi('data'),
    openapi('control'),
    {
      name: 'config.schema.json (TypeBox)',
      cwd: 'contracts',
      cmd: bin(root, 'tsx'),
      args: ['scripts/emit-config-schema.ts'],
      outputs: ['contracts/schemas/config.schema.json'],
      clean: [],
    },
    {
      name: 'dashboards, alert rules, Prometheus config (ci/dashboards)',
      cwd: '.',
      cmd: bin(root, 'tsx'),
      args: ['ci/dashboards/src/generate.ts'],
      outputs: ['ci/dashboards/grafana', 'ci/dashboards/prometheus'],
      clean: [],
    },
    {
      // The consumer pact is written by its test only on purpose: the test fails on any drift
      // from the committed file unless LLAMA_ORCH_PACT_WRITE=1 (ORCH-3044).
      name: 'consumer pact (cli/test/pact-consumer.test.ts)',
      cwd: '.',
      cmd: bin(root, 'vitest'),
      args: ['run', '--project', 'cli', 'cli/test/pact-consumer.test.ts'],
      outputs: ['contracts/pacts/orchctl-llama-orch-gateway.json'],
      clean: [],
      env: { LLAMA_ORCH_PACT_WRITE: '1' },
      checkedBy: 'cli/test/pact-consumer.test.ts (fails on any drift from the committed pact)',
    },
    {
      name: 'spec-extract (requirements, COMPLIANCE.md)',
      cwd: '.',
      cmd: bin(root, 'tsx'),
      args: ['tools/src/spec-extract/cli.ts'],
      outputs: ['requirements', 'COMPLIANCE.md'],
      clean: [],
      requires: 'tools/src/spec-extract/cli.ts',
    },
  ];
}

export function isAvailable(root: string, step: RegenStep): boolean {
  return step.requires === undefined || existsSync(join(root, step.requires));
}
