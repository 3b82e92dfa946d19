import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Directories that never hold sources we cite or link: dependencies, build output, VCS, caches. */
const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  '.build',
  '.git',
  '.artifacts',
  '.cache',
  'coverage',
  'dist',
]);

interface WalkOptions {
  /** Extra directory names to skip anywhere in the tree (besides SKIPPED_DIRS). */
  readonly skipDirs?: ReadonlySet<string>;
  /** Keep only files for which this returns true (receives the repo-relative POSIX path). */
  readonly include?: (relPath: string) => boolean;
}

/**
 * Lists files under `root` as sorted repo-relative POSIX paths. Symlinks are not followed, so a
 * linked workspace package is never visited twice.
 */
export function walkFiles(root: string, options: WalkOptions = {}): string[] {
  const out: string[] = [];
  const visit = (relDir: string): void => {
    const entries = readdirSync(join(root, relDir), { withFileTypes: true });
    for (const entry of entries) {
      const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(entry.name) || options.skipDirs?.has(entry.name)) continue;
        visit(rel);
      } else if (entry.isFile() && (options.include?.(rel) ?? true)) {
        out.push(rel);
      }
    }
  };
  visit('');
  return out.sort(compareStrings);
}

/** Code-point order, independent of the process locale, so output is identical everywhere. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
