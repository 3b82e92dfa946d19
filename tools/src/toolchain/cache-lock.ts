// Cross-process lock on the cache root, so two concurrent bootstraps (e.g. `npm test` in two
// shells) never build into the same directory. mkdir is atomic; the owner's pid marks staleness.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from './log.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withCacheLock<T>(
  root: string,
  progress: Progress,
  fn: () => Promise<T>,
  maxWaitMs = 45 * 60_000,
): Promise<T> {
  await mkdir(root, { recursive: true });
  const lock = join(root, '.lock');
  const deadline = Date.now() + maxWaitMs;
  let announced = false;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number.parseInt(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''), 10);
      if (Number.isFinite(owner) && !alive(owner)) {
        progress.warn('lock', `removing stale lock of dead pid ${owner}`);
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `toolchain cache ${root} is locked by pid ${owner}; gave up after ${maxWaitMs / 1000}s`,
        );
      }
      if (!announced) {
        progress.info(
          'lock',
          `another bootstrap (pid ${Number.isFinite(owner) ? owner : '?'}) holds ${lock}; waiting`,
        );
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
