// Benches measure what production runs: placement and sidecars as the plain-node bundles
// tools/build-runtime.mjs builds (as `npm run up` and the images start them), not the sources
// through tsx. A bundle is rebuilt only when missing or older than one of its sources.
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../src/stack/index.js';

export function ensureBundles(names: readonly ('placement' | 'sidecar')[]): void {
  const build = (args: string[]): void => {
    execFileSync(process.execPath, ['tools/build-runtime.mjs', ...args], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
  };
  try {
    build(['--check', ...names]);
  } catch {
    build([...names]);
  }
}
