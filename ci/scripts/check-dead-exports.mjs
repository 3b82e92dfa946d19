#!/usr/bin/env node
// No dead exports: an export must have a user in another module (CONTRIBUTING.md, "Layout and
// direction"). ts-prune runs once, over one project holding every workspace's TypeScript: each
// package's sources and tests, and files no package tsconfig lists (test-harness/chaos). So a
// test's import counts as a use, and so does another package's relative import of a file (as
// test-harness/observability/contract.ts reads tools' metrics-contract.ts), which a run per
// package tsconfig would not see. The findings are then split by package.
//
// What is not reported:
//   - the package's public entry points: the targets of its package.json `exports`, `main` and
//     `bin`, and the production bundle entries tools/build-runtime.mjs lists. Other packages may
//     only import a package through these, so their exports are its surface; what they re-export
//     counts as used;
//   - vitest.config.ts (vitest loads its default export by name);
//   - generated code (a `generated/` folder): `npm run regen` owns it, and it is never edited;
//     and declaration files (`.d.mts`), which describe a JavaScript module's exports;
//   - ts-prune's misreading of `satisfies`: its TypeScript (4.5) predates the operator and reports
//     `satisfies` and the type after it as exports of a line like `} as const satisfies T;`. A
//     finding on a line that does not itself declare an export is skipped for that reason;
//   - the few exports listed in KEEP below, each with the reason another module cannot name it.
// Everything else fails, `used in module` included: an export only its own file uses should lose
// the `export` keyword, and one nothing uses should go.
//
// test-harness is covered like the rest: its entry points are its package.json `exports` (the
// index, wiremock, engine-sim, bench/direct-engine) and the `up` bundle. Files that are run rather
// than imported (the root package.json's `tsx test-harness/...` scripts, engine-sim/main.ts,
// bdd/support/stack-process.ts, the cucumber step and support files) are not exempt: being run
// needs no export, so an export there is checked like any other (only an importer is a user).
//
// Usage: node ci/scripts/check-dead-exports.mjs [package...]   (default: every package below)
// Prints one summary line per package; exits 1 naming each dead export as `file:line - name`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_ENTRIES } from '../../tools/build-runtime.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TS_PRUNE = createRequire(import.meta.url).resolve('ts-prune');
/**
 * The one project ts-prune reads; .build/ is git-ignored (tsc -b writes there too). One file per
 * run: two runs at once sharing a file could read it half-written and report nonsense.
 */
const PROJECT = join(ROOT, '.build', `dead-exports.${process.pid}.tsconfig.json`);
/** Not TypeScript that TypeScript imports: bundles, build output, AssemblyScript sources. */
const NOT_IMPORTED = [
  '**/node_modules/**',
  '.build/**',
  '**/dist/**',
  'tools/policy-sdk/assembly/**',
];

/**
 * The packages (folders) the gate covers: every npm workspace. ci/dashboards is not one (it has no
 * package.json, so no entry points to exempt) and is not checked; its imports still count.
 */
const PACKAGES = [
  'core',
  'gateway',
  'sidecar',
  'envoy',
  'deploy',
  'tools',
  'contracts',
  'cli',
  'proto',
  'test-harness',
];

/**
 * Exports kept although nothing imports them by name: `file - name` and why. An entry that no
 * longer matches a finding fails the check too, so this list cannot go stale.
 */
const KEEP = new Map([
  ...['_ConfigMatchesInput', '_PoolMatchesInput', '_TenantMatchesInput', '_ModelMatchesInput'].map(
    (name) => [
      `contracts/src/config/types.ts - ${name}`,
      'compile-time drift guard between the config and its input type: nothing reads it, and ' +
        'exporting it is what keeps the unused-variable lint from flagging it',
    ],
  ),
  [
    'tools/src/toolchain/steps/kube-control-plane.ts - GoBinaryManifest',
    "toxiproxy.ts's exported toxiproxyStep has the type goBinaryStep returns (a Step of this " +
      'manifest): tsc -b must name it in the declaration it emits (TS4023 without the export)',
  ],
]);

/** Files a tool loads by convention rather than through an import. */
const CONVENTION_FILE = /(^|\/)vitest\.config\.ts$/;
/** Generated code (contracts/src/generated, emitted by `npm run regen`). */
const GENERATED_FILE = /(^|\/)generated\//;
/** Hand-written types of a JavaScript module (tools/build-runtime.d.mts): its users are JS. */
const DECLARATION_FILE = /\.d\.[cm]?ts$/;

const toPosix = (p) => normalize(p).split('\\').join('/');

/** Every string leaf of a package.json `exports`/`bin` value (conditions and subpaths alike). */
function targets(value) {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(targets);
  return [];
}

/** Repo-relative paths of a package's entry points (see the header). */
function entryFiles(pkg) {
  const manifest = JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8'));
  const own = [...targets(manifest.exports), ...targets(manifest.main), ...targets(manifest.bin)];
  const bundled = RUNTIME_ENTRIES.filter((e) => e.source.startsWith(`${pkg}/`)).map(
    (e) => e.source,
  );
  return new Set([...own.map((p) => toPosix(join(pkg, p))), ...bundled]);
}

/** ts-prune's findings over the whole repository: { file, line, name, inModule }. */
function prune() {
  mkdirSync(dirname(PROJECT), { recursive: true });
  const project = {
    extends: '../tsconfig.base.json',
    compilerOptions: { composite: false, noEmit: true },
    include: ['../**/*.ts'],
    exclude: NOT_IMPORTED.map((p) => `../${p}`),
  };
  writeFileSync(PROJECT, `${JSON.stringify(project, null, 2)}\n`);
  // ts-prune resolves -p against its working directory, so the path stays relative.
  let run;
  try {
    run = spawnSync(process.execPath, [TS_PRUNE, '-p', relative(ROOT, PROJECT)], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    rmSync(PROJECT, { force: true });
  }
  if (run.status !== 0 || run.error) {
    throw new Error(`ts-prune failed: ${run.error?.message ?? run.stderr}`);
  }
  const findings = [];
  for (const text of run.stdout.split('\n')) {
    if (text.trim() === '') continue;
    const m = /^(.+):(\d+) - (\S+)( \(used in module\))?$/.exec(text.trim());
    if (!m) throw new Error(`ts-prune: unexpected line: ${text}`);
    findings.push({ file: toPosix(m[1]), line: Number(m[2]), name: m[3], inModule: !!m[4] });
  }
  return findings;
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((p) => !PACKAGES.includes(p));
if (unknown.length > 0) {
  process.stderr.write(`check-dead-exports: no package ${unknown.join(', ')} (${PACKAGES})\n`);
  process.exit(2);
}
const packages = wanted.length > 0 ? wanted : PACKAGES;

const sources = new Map();
/** The text of a finding's line (ts-prune's line numbers are 1-based). */
function lineOf(file, line) {
  if (!sources.has(file)) sources.set(file, readFileSync(join(ROOT, file), 'utf8').split('\n'));
  return sources.get(file)[line - 1] ?? '';
}

/** One ts-prune pass, judged: the dead exports, the stale KEEP entries, a summary per package. */
function analyse() {
  const dead = [];
  const keptSeen = new Set();
  const summary = [];
  const findings = prune();
  for (const pkg of packages) {
    const entries = entryFiles(pkg);
    const skipped = { entry: 0, generated: 0, satisfies: 0, kept: 0 };
    let own = 0;
    for (const f of findings) {
      if (!f.file.startsWith(`${pkg}/`)) continue;
      if (entries.has(f.file) || CONVENTION_FILE.test(f.file)) {
        skipped.entry++;
        continue;
      }
      if (GENERATED_FILE.test(f.file) || DECLARATION_FILE.test(f.file)) {
        skipped.generated++;
        continue;
      }
      const text = lineOf(f.file, f.line);
      if (/\bsatisfies\b/.test(text) && !/^\s*export\b/.test(text)) {
        skipped.satisfies++;
        continue;
      }
      const key = `${f.file} - ${f.name}`;
      if (KEEP.has(key)) {
        keptSeen.add(key);
        skipped.kept++;
        continue;
      }
      own++;
      dead.push(
        `${f.file}:${f.line} - ${f.name}${f.inModule ? ' (only its own file uses it)' : ''}`,
      );
    }
    const notes = [`${entries.size} entry files, ${skipped.entry} entry/config exports`];
    if (skipped.generated > 0) notes.push(`${skipped.generated} generated/declaration`);
    if (skipped.satisfies > 0) notes.push(`${skipped.satisfies} \`satisfies\` misreadings`);
    if (skipped.kept > 0) notes.push(`${skipped.kept} kept on purpose`);
    summary.push(`dead-exports: ${pkg}: ${own} dead (skipped: ${notes.join(', ')})`);
  }
  const stale = [...KEEP.keys()].filter(
    (k) => packages.some((p) => k.startsWith(`${p}/`)) && !keptSeen.has(k),
  );
  return { dead, stale, summary, findings: findings.length };
}

// A ts-prune pass has, rarely, left whole files out (once in CI: no finding in several entry
// files and none of the KEEP entries; a second pass on the same tree was normal; once locally two
// passes in a row did it; the cause is not known). Such a pass can only under-report, so one whose
// KEEP entries are all present is trusted; one that misses some is repeated, up to three passes
// in all, and the last pass decides.
const PASSES = 3;
let result = analyse();
for (let pass = 2; pass <= PASSES && result.stale.length > 0; pass++) {
  const before = result.findings;
  result = analyse();
  process.stdout.write(
    `dead-exports: ts-prune pass ${pass - 1} missed KEEP entries (${before} findings); ` +
      `pass ${pass}: ${result.findings} findings\n`,
  );
}
for (const line of result.summary) process.stdout.write(`${line}\n`);
const dead = result.dead;
for (const k of result.stale)
  dead.push(`${k}: listed in KEEP but no longer reported; remove the entry`);

if (dead.length > 0) {
  process.stderr.write(
    `dead-exports: ${dead.length} problem(s); delete what nothing uses, drop \`export\` from ` +
      `what only its own file uses:\n${dead.map((d) => `  ${d}`).join('\n')}\n`,
  );
  process.exit(1);
}
