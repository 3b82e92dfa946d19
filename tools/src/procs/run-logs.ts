// ORCH-3141: one directory per test run that receives every log line the run's stacks wrote, and
// the API keys those stacks were given, so that one scan after the run
// (tools/src/log-key-scan/cli.ts) can prove that no key reached any log. Off unless
// LLAMA_ORCH_RUN_LOGS names the directory (the `gates` script sets it); child processes inherit
// it, so a stack started by a test's own subprocess (cucumber, `npm run up`) writes there too.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_LOGS_ENV = 'LLAMA_ORCH_RUN_LOGS';

/** Past this many bytes a file gets one marker line and no more (the scan reports the cut). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
export const RUN_LOG_TRUNCATED = '[run-logs] truncated: this file reached its size limit';

let seq = 0;

function runDir(): string | undefined {
  const dir = process.env[RUN_LOGS_ENV];
  return dir ? dir : undefined;
}

/**
 * A writer that appends to a new file `<run dir>/logs/<label>-<pid>-<n>.log`, or undefined when
 * no run directory is configured. Writes are synchronous so a crash loses nothing already written.
 */
export function runLogWriter(label: string): ((s: string) => void) | undefined {
  const dir = runDir();
  if (!dir) return undefined;
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  seq += 1;
  const file = join(logs, `${label.replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}-${seq}.log`);
  let bytes = 0;
  let cut = false;
  return (s) => {
    if (cut) return;
    bytes += Buffer.byteLength(s);
    if (bytes > MAX_FILE_BYTES) {
      cut = true;
      appendFileSync(file, `\n${RUN_LOG_TRUNCATED}\n`);
      return;
    }
    appendFileSync(file, s);
  };
}

/**
 * Records API keys a test gives a stack or sends to it, one per line in
 * `<run dir>/keys/<pid>.txt` (kept apart from `logs/`: the scan searches the logs for these).
 * The keys are test fixtures, never a deployment's. No-op without a run directory.
 */
export function recordTestKeys(keys: Iterable<string>): void {
  const dir = runDir();
  if (!dir) return;
  const list = [...keys].filter((k) => k !== '');
  if (list.length === 0) return;
  mkdirSync(join(dir, 'keys'), { recursive: true });
  appendFileSync(join(dir, 'keys', `${process.pid}.txt`), list.map((k) => `${k}\n`).join(''));
}

/** Both writers, for a sink that already has one: every string goes to both. */
export function teeToRunLog(label: string, write: (s: string) => void): (s: string) => void {
  const run = runLogWriter(label);
  if (!run) return write;
  return (s) => {
    write(s);
    run(s);
  };
}
