// ORCH-3141, the run-wide check: `run -- <command>` gives the command a fresh log directory
// (.artifacts/logs/<run id>/, LLAMA_ORCH_RUN_LOGS), then searches every log in it for every key
// the tests recorded; `scan [dir]` searches a directory again (default: the newest run).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_LOGS_ENV } from '../procs/run-logs.js';
import { describeScan, scanRunDir } from './scan.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const RUNS = join(ROOT, '.artifacts', 'logs');
/** Runs kept under .artifacts/logs (the newest); older ones are removed when a run starts. */
const KEEP_RUNS = 3;

const USAGE = `usage: log-key-scan run -- <command> [args...]   (run it with a fresh log dir, then scan)
       log-key-scan scan [run dir]                  (scan again; default the newest run)`;

function runDirs(): string[] {
  let names: string[];
  try {
    names = readdirSync(RUNS);
  } catch {
    return [];
  }
  return names
    .map((n) => join(RUNS, n))
    .filter((p) => statSync(p).isDirectory())
    .sort(); // run ids start with an ISO timestamp: oldest first
}

function scan(dir: string): number {
  const { ok, lines } = describeScan(dir, scanRunDir(dir));
  for (const l of lines) (ok ? process.stdout : process.stderr).write(`${l}\n`);
  return ok ? 0 : 1;
}

async function runThenScan(cmd: string, args: readonly string[]): Promise<number> {
  const id = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  const dir = join(RUNS, id);
  mkdirSync(dir, { recursive: true });
  const all = runDirs();
  for (const old of all.slice(0, Math.max(0, all.length - KEEP_RUNS))) {
    rmSync(old, { recursive: true, force: true });
  }
  process.stdout.write(`key-free logs: this run's logs go to ${dir}\n`);
  const code = await new Promise<number>((done) => {
    const child = spawn(cmd, args, {
      stdio: 'inherit',
      env: { ...process.env, [RUN_LOGS_ENV]: dir },
    });
    child.on('error', (e) => {
      process.stderr.write(`log-key-scan: cannot run ${cmd}: ${e.message}\n`);
      done(127);
    });
    child.on('exit', (c, sig) => done(c ?? (sig ? 128 : 1)));
  });
  // Scanned whatever the command's outcome: a leak is reported even when a test also failed.
  const scanned = scan(dir);
  return code !== 0 ? code : scanned;
}

async function main(argv: readonly string[]): Promise<number> {
  const [mode, ...rest] = argv;
  if (mode === 'run' && rest[0] === '--' && rest[1] !== undefined) {
    return runThenScan(rest[1], rest.slice(2));
  }
  if (mode === 'scan' && rest.length <= 1) {
    const dir = rest[0] !== undefined ? resolve(rest[0]) : runDirs().at(-1);
    if (dir === undefined) {
      process.stderr.write(`key-free logs: no run directory under ${RUNS}: nothing to search\n`);
      return 1;
    }
    return scan(dir);
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
