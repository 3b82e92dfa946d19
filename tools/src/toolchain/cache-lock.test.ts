import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withCacheLock } from './cache-lock.js';
import { silentProgress } from './log.js';

describe('ORCH-5001: one bootstrap at a time per cache', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'lock-test-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('ORCH-5001: concurrent holders run one after the other', async () => {
    const events: string[] = [];
    const job = (name: string) =>
      withCacheLock(root, silentProgress, async () => {
        events.push(`${name}:in`);
        await new Promise((r) => setTimeout(r, 50));
        events.push(`${name}:out`);
      });
    await Promise.all([job('a'), job('b')]);
    expect(events).toHaveLength(4);
    expect(events[1]).toBe(events[0]?.replace(':in', ':out'));
  });

  it('ORCH-5001: a lock left by a dead process is taken over', async () => {
    await mkdir(join(root, '.lock'));
    // pid 2^22+1 is above Linux's pid_max default, so it cannot be alive.
    await writeFile(join(root, '.lock', 'pid'), String(4_194_305));
    await expect(withCacheLock(root, silentProgress, async () => 'ran', 5_000)).resolves.toBe(
      'ran',
    );
  });
});
