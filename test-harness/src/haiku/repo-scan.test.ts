import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { minuteWords } from './minute-words.js';
import { makeNonce } from './nonce.js';
import { isHaikuFixturePath, linesWithBoth, scanRepo } from './repo-scan.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'haiku-scan-'));
  dirs.push(dir);
  execFileSync('git', ['init', '-q'], { cwd: dir });
  return dir;
}

describe('ORCH-5006: haiku anti-cheat repo scan', () => {
  it('ORCH-5006: recognises fixtures/haiku* paths at any depth', () => {
    expect(isHaikuFixturePath('fixtures/haiku.txt')).toBe(true);
    expect(isHaikuFixturePath('a/b/fixtures/haiku-1/x.json')).toBe(true);
    expect(isHaikuFixturePath('test/fixtures/Haiku_golden.md')).toBe(true);
    expect(isHaikuFixturePath('fixtures/other/haiku.txt')).toBe(false);
    expect(isHaikuFixturePath('test-harness/src/haiku/repo-scan.ts')).toBe(false);
  });

  it('ORCH-5006: finds a line with both strings, not lines with one each', () => {
    const words = minuteWords(31);
    const nonce = makeNonce(words);
    expect(linesWithBoth(`${words}\n${nonce}\n`, words, nonce)).toEqual([]);
    expect(linesWithBoth(`x\ny ${nonce} ${words}\n`, words, nonce)).toEqual([2]);
  });

  it('ORCH-5006: scans tracked and untracked files of a real git repo', async () => {
    const words = minuteWords(44);
    const nonce = makeNonce(words);
    const repo = tempRepo();
    writeFileSync(join(repo, 'clean.ts'), `export const a = 1;\n// ${words}\n`);
    expect((await scanRepo(repo, words, nonce)).findings).toEqual([]);

    mkdirSync(join(repo, 'fixtures'));
    writeFileSync(join(repo, 'fixtures', 'haiku-golden.txt'), 'placeholder\n');
    writeFileSync(join(repo, 'cheat.ts'), `const s = "${words} ${nonce}";\n`);
    const result = await scanRepo(repo, words, nonce);
    expect(result.findings).toEqual(
      expect.arrayContaining([
        { kind: 'fixture-path', path: 'fixtures/haiku-golden.txt' },
        { kind: 'line-with-both', path: 'cheat.ts', line: 1 },
      ]),
    );
  });

  it('ORCH-5006: ignored files are outside the scan', async () => {
    const words = minuteWords(2);
    const nonce = makeNonce(words);
    const repo = tempRepo();
    writeFileSync(join(repo, '.gitignore'), 'out/\n');
    mkdirSync(join(repo, 'out'));
    writeFileSync(join(repo, 'out', 'bundle.txt'), `${words} ${nonce}\n`);
    expect((await scanRepo(repo, words, nonce)).findings).toEqual([]);
  });
});
