import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffOutputs, extract, writeOutputs } from './extract.js';

const USAGE = `usage: spec-extract [--root DIR] [--strict] [--check]
  Reads .specs/**/*.md, scans the repository for ORCH-IDs and writes requirements/*.yaml and
  COMPLIANCE.md.
  --root DIR  repository root (default: this checkout)
  --strict    exit 1 when an ID is cited but defined in no spec
  --check     write nothing; exit 1 when a generated file is missing or out of date`;

interface Options {
  readonly root: string;
  readonly strict: boolean;
  readonly check: boolean;
}

function parseArgs(argv: readonly string[]): Options | string {
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  let strict = false;
  let check = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--strict') strict = true;
    else if (arg === '--check') check = true;
    else if (arg === '--root' && argv[i + 1] !== undefined) root = resolve(argv[(i += 1)] ?? '');
    else return `unknown argument: ${arg ?? ''}\n${USAGE}`;
  }
  return { root, strict, check };
}

/** Returns the exit code; main() is the only place that touches process state. */
export function run(argv: readonly string[], log: (line: string) => void): number {
  const options = parseArgs(argv);
  if (typeof options === 'string') {
    log(options);
    return 2;
  }
  const result = extract(options.root);
  for (const error of result.errors) log(`error: ${error}`);
  for (const [id, files] of result.unknown)
    log(`warning: ${id} cited but not defined: ${files.join(', ')}`);
  const { ids, withTest, withCode } = result.totals;
  log(
    `spec-extract: ${ids} requirements in ${result.sections} sections; ${withTest} with tests, ${withCode} with code`,
  );
  if (result.errors.length > 0) return 1;

  if (options.check) {
    const changed = diffOutputs(options.root, result);
    for (const rel of changed) log(`out of date: ${rel}`);
    if (changed.length > 0) return 1;
  } else {
    writeOutputs(options.root, result);
    log(`wrote ${[...result.outputs.keys()].join(', ')}`);
  }
  return options.strict && result.unknown.size > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = run(process.argv.slice(2), (line) => console.log(line));
}
