// Anti-cheat scan of the haiku gate (seed §4): no `fixtures/haiku*` anywhere in the repository,
// and no file line that holds both the current minute words and the fresh nonce. The file set is
// what git sees (tracked plus untracked-but-not-ignored), so build output and caches are skipped.
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MAX_SCANNED_BYTES = 4 * 1024 * 1024;

export interface ScanFinding {
  kind: 'fixture-path' | 'line-with-both';
  path: string;
  line?: number;
}

interface ScanResult {
  filesScanned: number;
  findings: ScanFinding[];
}

/** True for any path with a `fixtures` directory whose next segment starts with "haiku". */
export function isHaikuFixturePath(path: string): boolean {
  const segments = path.split(/[\\/]/);
  return segments.some(
    (seg, i) => seg === 'fixtures' && (segments[i + 1] ?? '').toLowerCase().startsWith('haiku'),
  );
}

/** Pure part: 1-based line numbers of `text` that hold both needles. */
export function linesWithBoth(text: string, a: string, b: string): number[] {
  if (a.length === 0 || b.length === 0) return [];
  const hits: number[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.includes(a) && line.includes(b)) hits.push(index + 1);
  });
  return hits;
}

async function listRepoFiles(repoRoot: string): Promise<string[]> {
  const { stdout } = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
  );
  return [...new Set(stdout.split('\0').filter((p) => p.length > 0))];
}

export async function scanRepo(
  repoRoot: string,
  minuteWords: string,
  nonce: string,
): Promise<ScanResult> {
  const files = await listRepoFiles(repoRoot);
  const findings: ScanFinding[] = [];
  let filesScanned = 0;
  for (const path of files) {
    if (isHaikuFixturePath(path)) findings.push({ kind: 'fixture-path', path });
    const full = join(repoRoot, path);
    const info = await stat(full).catch(() => undefined);
    if (info === undefined || !info.isFile() || info.size > MAX_SCANNED_BYTES) continue;
    const bytes = await readFile(full);
    if (bytes.includes(0)) continue; // binary: cannot hold a line of poem text
    filesScanned += 1;
    for (const line of linesWithBoth(bytes.toString('utf8'), minuteWords, nonce)) {
      findings.push({ kind: 'line-with-both', path, line });
    }
  }
  return { filesScanned, findings };
}
