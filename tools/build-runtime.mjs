#!/usr/bin/env node
// Builds the production entry points once, so placement, sidecars, the edge renderer and the
// webhook start with plain `node` instead of compiling TypeScript at every start through tsx.
// Each entry becomes one ESM file, <package>/dist/<name>.mjs, holding the repo's own TypeScript
// (the @llama-orch/* workspace packages export .ts sources, which plain node cannot load).
// Third-party packages stay external and load from node_modules exactly as they do from source:
//   - a package the source resolves into the root node_modules stays a bare import (the bundle
//     sits two levels below the root, so node resolves it to the same files);
//   - a package the source resolves into a workspace's own node_modules (contracts/ and tools/
//     pin ajv 8 while the root holds ajv 6) becomes a relative import of that exact file.
// `import.meta.url` in each source module is rewritten to that module's own location, relative to
// the bundle, so files read beside the sources (contracts/openapi/*.yaml, the ext_proc protos'
// createRequire) resolve as they do under tsx. Type checking stays with `tsc -b`.
// Usage: node tools/build-runtime.mjs [--check] [name...]
//   name: only these entries (placement, sidecar, envoy-bootstrap, webhook, up; the images build
//   only their own); --check: exit 1 when a bundle is missing or older than a source file it was
//   built from, without building.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT_MODULES = join(ROOT, 'node_modules') + sep;

/** Every production entry point: the source and the bundle the runtime starts. */
export const RUNTIME_ENTRIES = [
  { name: 'placement', source: 'gateway/src/main.ts', bundle: 'gateway/dist/main.mjs' },
  { name: 'sidecar', source: 'sidecar/src/main.ts', bundle: 'sidecar/dist/main.mjs' },
  { name: 'envoy-bootstrap', source: 'envoy/src/cli.ts', bundle: 'envoy/dist/cli.mjs' },
  { name: 'webhook', source: 'deploy/webhook/main.ts', bundle: 'deploy/dist/webhook.mjs' },
  // `npm run up` itself: the launcher starts it with plain node too (one process, no tsx layer
  // between the launcher and the stack's supervisor, so signals reach it once per sender).
  { name: 'up', source: 'test-harness/src/stack/up-cli.ts', bundle: 'test-harness/dist/up.mjs' },
];

const toPosix = (p) => p.split(sep).join('/');
const isWorkspaceSource = (p) => !p.includes(`${sep}node_modules${sep}`) && p.startsWith(ROOT);

/** The esbuild plugin that keeps node_modules external with the source's own resolution. */
function runtimePlugin(outDir) {
  return {
    name: 'llama-orch-runtime',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData?.inner) return undefined;
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        if (args.path.startsWith('@llama-orch/')) return undefined; // bundled from its .ts
        const r = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: { inner: true },
        });
        if (r.errors.length > 0) return { errors: r.errors };
        if (r.path.startsWith(ROOT_MODULES) || !r.path.startsWith(ROOT)) {
          return { path: args.path, external: true };
        }
        const rel = toPosix(relative(outDir, r.path));
        return { path: rel.startsWith('.') ? rel : `./${rel}`, external: true };
      });
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!isWorkspaceSource(args.path)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const rel = toPosix(relative(outDir, args.path));
        const own = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
        return { contents: text.replaceAll('import.meta.url', own), loader: 'ts' };
      });
    },
  };
}

/** Source files an existing bundle was built from (its metafile), or null when there is none. */
function staleReason(entry) {
  const bundle = join(ROOT, entry.bundle);
  const meta = `${bundle}.meta.json`;
  if (!existsSync(bundle) || !existsSync(meta)) return `${entry.bundle} is missing`;
  const built = statSync(bundle).mtimeMs;
  const inputs = Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs ?? {});
  for (const input of inputs) {
    const p = join(ROOT, input);
    if (!existsSync(p)) return `${input} is gone`;
    if (statSync(p).mtimeMs > built) return `${input} changed`;
  }
  return null;
}

function writeAtomically(path, contents) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

async function build(entries) {
  const esbuild = await import('esbuild');
  for (const entry of entries) {
    const outfile = join(ROOT, entry.bundle);
    const outDir = dirname(outfile);
    mkdirSync(outDir, { recursive: true });
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [join(ROOT, entry.source)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
      // Written below with a rename, so a process starting now (a test, npm run up) never loads
      // a half-written bundle while another build of the same entry runs beside it.
      write: false,
      plugins: [runtimePlugin(outDir)],
    });
    for (const out of result.outputFiles) writeAtomically(out.path, out.contents);
    writeAtomically(`${outfile}.meta.json`, JSON.stringify(result.metafile));
    const n = Object.keys(result.metafile.inputs).length;
    process.stderr.write(`build-runtime: ${entry.bundle} (${n} sources)\n`);
  }
}

async function main() {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !RUNTIME_ENTRIES.some((e) => e.name === n));
  if (unknown.length > 0) {
    const known = RUNTIME_ENTRIES.map((e) => e.name).join(', ');
    process.stderr.write(`build-runtime: no entry ${unknown.join(', ')} (entries: ${known})\n`);
    return 2;
  }
  const entries =
    names.length === 0 ? RUNTIME_ENTRIES : RUNTIME_ENTRIES.filter((e) => names.includes(e.name));
  if (args.includes('--check')) {
    const stale = entries.map(staleReason).filter((r) => r !== null);
    for (const r of stale) process.stderr.write(`build-runtime: ${r}\n`);
    return stale.length === 0 ? 0 : 1;
  }
  await build(entries);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`build-runtime: ${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
