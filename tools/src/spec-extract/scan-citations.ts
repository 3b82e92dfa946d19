import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ID_PATTERN } from './parse-spec.js';
import { compareStrings, walkFiles } from './walk-files.js';

type CitationKind = 'test' | 'code';

/** File kinds that can cite an ID. Markdown is prose (and the spec itself), so it never counts. */
const SCANNED_EXTENSIONS = [
  '.ts',
  '.mts',
  '.cts',
  '.js',
  '.mjs',
  '.cjs',
  '.yaml',
  '.yml',
  '.proto',
  '.json',
  '.feature',
];

/** Generated files would double-count the sources they come from. */
const SKIPPED_NAMES: ReadonlySet<string> = new Set(['package-lock.json']);
const SKIPPED_DIRS: ReadonlySet<string> = new Set(['generated', 'requirements', '.specs']);

/** A citation in a test proves coverage; anything else is an implementation reference. */
export function classify(relPath: string): CitationKind {
  if (/\.(test|spec)\.[cm]?[jt]s$/.test(relPath) || relPath.endsWith('.feature')) return 'test';
  if (relPath === 'test-harness' || relPath.startsWith('test-harness/')) return 'test';
  return 'code';
}

export function isScanned(relPath: string): boolean {
  const name = relPath.slice(relPath.lastIndexOf('/') + 1);
  if (SKIPPED_NAMES.has(name) || name.endsWith('.d.ts')) return false;
  return SCANNED_EXTENSIONS.some((ext) => name.endsWith(ext));
}

/** Distinct IDs in a text, sorted. */
export function findIds(text: string): string[] {
  const ids = new Set<string>();
  for (const match of text.matchAll(ID_PATTERN)) ids.add(match[0]);
  return [...ids].sort(compareStrings);
}

export interface Citations {
  /** ID → sorted repo-relative paths of the test files that cite it. */
  readonly tests: Map<string, string[]>;
  /** ID → sorted repo-relative paths of the other files that cite it. */
  readonly code: Map<string, string[]>;
}

/** Scans the repository for ID citations. Paths come out sorted because the walk is sorted. */
export function scanCitations(root: string): Citations {
  const tests = new Map<string, string[]>();
  const code = new Map<string, string[]>();
  const files = walkFiles(root, { skipDirs: SKIPPED_DIRS, include: isScanned });
  for (const rel of files) {
    const target = classify(rel) === 'test' ? tests : code;
    for (const id of findIds(readFileSync(join(root, rel), 'utf8'))) {
      const list = target.get(id);
      if (list) list.push(rel);
      else target.set(id, [rel]);
    }
  }
  return { tests, code };
}
