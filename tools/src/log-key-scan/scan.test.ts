import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeScan, keyPrefix, scanRunDir } from './scan.js';

const KEY = 'scan-test-key-4b1d9e07c3a2';

describe('ORCH-3141: the run-wide log scan', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function runDir(logs: Record<string, string>, keys: readonly string[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'key-scan-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    mkdirSync(join(dir, 'keys'), { recursive: true });
    for (const [name, text] of Object.entries(logs)) writeFileSync(join(dir, 'logs', name), text);
    if (keys.length) writeFileSync(join(dir, 'keys', '1.txt'), keys.map((k) => `${k}\n`).join(''));
    return dir;
  }

  it('ORCH-3141: passes on logs without keys', () => {
    const dir = runDir({ 'stack-1-1.log': '[placement] {"msg":"ready"}\n' }, [KEY]);
    const r = scanRunDir(dir);
    expect(r.hits).toEqual([]);
    expect(describeScan(dir, r).ok).toBe(true);
  });

  it('ORCH-3141: names the file, the line and a key prefix, never the whole key', () => {
    const dir = runDir(
      {
        'stack-1-1.log': `one\n[envoy] GET /v1/x?key=${encodeURIComponent(`${KEY} `)}\n`,
        'stack-1-2.log': `ok\nok\n[placement] {"h":"Bearer ${KEY}"}\n`,
      },
      [KEY, `${KEY} `],
    );
    const r = scanRunDir(dir);
    expect(r.hits).toContainEqual(
      expect.objectContaining({ file: join('logs', 'stack-1-2.log'), line: 3, form: 'raw' }),
    );
    expect(r.hits).toContainEqual(
      expect.objectContaining({
        file: join('logs', 'stack-1-1.log'),
        line: 2,
        form: 'url-encoded',
      }),
    );
    const { ok, lines } = describeScan(dir, r);
    expect(ok).toBe(false);
    expect(lines.join('\n')).not.toContain(KEY);
    expect(lines.join('\n')).toContain(`"${keyPrefix(KEY)}…"`);
  });

  it('ORCH-3141: nothing to search is a failure: no log file, empty logs, no key, short key', () => {
    for (const [logs, keys, why] of [
      [{}, [KEY], 'no log file'],
      [{ 'a.log': '' }, [KEY], 'are empty'],
      [{ 'a.log': 'line\n' }, [], 'no API key recorded'],
      [{ 'a.log': 'line\n' }, ['short'], 'shorter than 8'],
    ] as const) {
      const dir = runDir(logs, keys);
      const { ok, lines } = describeScan(dir, scanRunDir(dir));
      expect(ok).toBe(false);
      expect(lines.join('\n')).toContain(why);
    }
  });
});
