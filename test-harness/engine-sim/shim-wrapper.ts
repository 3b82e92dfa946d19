// Writes an executable `llama-server` wrapper for the engine-sim shim, with absolute paths, so a
// sidecar can supervise the simulator exactly as it supervises the real binary.
import { chmod, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHIM_ENTRY = fileURLToPath(new URL('./llama-server-shim.ts', import.meta.url));

/** The tsx ESM loader that `node --import tsx` would load, as an absolute path. */
function tsxLoaderPath(): string {
  // import.meta.resolve is not available under vitest; read the package's `exports` instead.
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, unknown> };
  const dot = pkg.exports['.'];
  const entry =
    typeof dot === 'string' ? dot : (dot as { import?: string; default?: string }).import;
  if (!entry) throw new Error(`cannot find the ESM entry of tsx in ${pkgPath}`);
  return join(dirname(pkgPath), entry);
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes `<dir>/llama-server-sim` and returns its path. */
export async function writeShimWrapper(dir: string): Promise<string> {
  const path = join(dir, 'llama-server-sim');
  const script = [
    '#!/bin/sh',
    '# engine-sim shim standing in for llama-server (test-harness/engine-sim/llama-server-shim.ts)',
    `exec ${quote(process.execPath)} --import ${quote(tsxLoaderPath())} ${quote(SHIM_ENTRY)} "$@"`,
    '',
  ].join('\n');
  await writeFile(path, script);
  await chmod(path, 0o755);
  return path;
}
