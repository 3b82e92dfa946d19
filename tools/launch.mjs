#!/usr/bin/env node
// Entry point behind `npm run up|test|bootstrap`. Plain Node with no dependencies, because it
// runs before node_modules exists: (1) install npm deps if missing or stale, (2) bootstrap the
// real toolchain, (3) run the command. Every phase is timed; the exit code propagates.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: node tools/launch.mjs up|test|bootstrap [args...]';
const t0 = Date.now();
const timings = [];

const log = (msg) =>
  process.stderr.write(`[launch +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);

/**
 * Runs a command in the foreground; resolves with its exit code. Ctrl-C goes to the child.
 * `forwardInt`: a SIGINT sent to this process alone (not the terminal's, which the child gets
 * too) must stop the child as well: it is forwarded as SIGTERM, which the child (up-cli) takes as
 * the same orderly stop and never as the "second Ctrl-C" that forces one.
 */
function runForeground(cmd, args, { forwardInt = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    // The terminal delivers SIGINT to the whole process group; the child decides how to stop,
    // and we report its exit code. SIGTERM (e.g. from CI) is forwarded explicitly.
    const forward = () => child.kill('SIGTERM');
    const ignore = forwardInt ? forward : () => undefined;
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    child.on('error', (e) => {
      log(`cannot start ${cmd}: ${e.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1));
    });
  });
}

async function phase(name, fn) {
  const start = Date.now();
  log(`${name}: start`);
  const code = await fn();
  const secs = (Date.now() - start) / 1000;
  timings.push(`${name} ${secs.toFixed(1)}s`);
  const how = code === 0 ? 'ok' : code === 130 || code === 143 ? 'stopped by signal' : 'FAILED';
  log(`${name}: ${how} (exit ${code}) in ${secs.toFixed(1)}s`);
  return code;
}

/**
 * node_modules is stale when npm's hidden lockfile is missing, or older than package-lock.json
 * and disagrees with it on some package version (an mtime alone would re-install on every edit).
 */
function depsStatus() {
  const lock = join(ROOT, 'package-lock.json');
  const hidden = join(ROOT, 'node_modules', '.package-lock.json');
  if (!existsSync(join(ROOT, 'node_modules'))) return 'node_modules is missing';
  if (!existsSync(hidden)) return 'node_modules/.package-lock.json is missing';
  if (statSync(hidden).mtimeMs >= statSync(lock).mtimeMs) return null;
  const want = JSON.parse(readFileSync(lock, 'utf8')).packages ?? {};
  const have = JSON.parse(readFileSync(hidden, 'utf8')).packages ?? {};
  for (const [key, meta] of Object.entries(want)) {
    if (key === '' || meta.optional || meta.link || !key.includes('node_modules/')) continue;
    if (have[key]?.version !== meta.version) {
      return `package-lock.json wants ${key}@${meta.version}, node_modules has ${have[key]?.version ?? 'nothing'}`;
    }
  }
  return null;
}

/** Runs a command with stderr captured; resolves with its exit code and stderr text. */
function runCaptured(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c.toString()));
    child.on('error', (e) => resolve({ code: 127, stderr: e.message }));
    child.on('exit', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

const lockHash = () =>
  createHash('sha256')
    .update(readFileSync(join(ROOT, 'package-lock.json')))
    .digest('hex');

async function ensureDeps() {
  const why = depsStatus();
  if (why === null) {
    log('deps: node_modules matches package-lock.json');
    return 0;
  }
  log(`deps: ${why}; running npm ci (first run takes a minute)`);
  const ci = await runCaptured('npm', ['ci', '--no-audit', '--no-fund']);
  if (ci.code === 0) return 0;
  if (!/EUSAGE/.test(ci.stderr)) {
    process.stderr.write(ci.stderr);
    return ci.code;
  }
  const missing = [...ci.stderr.matchAll(/^npm error Missing: (\S+?)@/gm)].map((m) => m[1]);
  const eg = missing.slice(0, 2).join(', ') || '?';
  log(`deps: npm ci: lockfile out of sync (${missing.length} packages missing, e.g. ${eg})`);
  // npm ci refuses a lockfile that lacks optional platform packages the registry mirror does not
  // carry; `npm install` resolves the same locked versions and skips those. Say if the lock moved.
  log('deps: npm ci rejected the lockfile; falling back to npm install (same locked versions)');
  const before = lockHash();
  const code = await runForeground('npm', ['install', '--no-audit', '--no-fund']);
  if (code === 0 && lockHash() !== before) {
    log('deps: WARNING npm install changed package-lock.json; review and commit it');
  }
  return code;
}

function tsx(args) {
  const local = join(ROOT, 'node_modules', '.bin', 'tsx');
  return existsSync(local) ? runForeground(local, args) : runForeground('npx', ['tsx', ...args]);
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!['up', 'test', 'bootstrap'].includes(cmd ?? '')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let code = await phase('deps', ensureDeps);
  if (code !== 0) {
    log('npm ci failed: check that the npm registry is reachable, then re-run');
    return code;
  }
  code = await phase('bootstrap', () => tsx(['tools/src/toolchain/cli.ts', 'ensure']));
  if (code !== 0) return code;
  if (cmd === 'test')
    code = await phase('gates', () =>
      runForeground('npm', ['run', 'gates', ...(rest.length > 0 ? ['--', ...rest] : [])]),
    );
  if (cmd === 'up') {
    // Built once here, then every service runs on plain node, as the images do (no tsx compile
    // at each start); the bundles are rebuilt in well under a second when a source changed.
    code = await phase('build', () => runForeground(process.execPath, ['tools/build-runtime.mjs']));
    if (code !== 0) return code;
    code = await phase('up', () =>
      runForeground(process.execPath, ['test-harness/dist/up.mjs', ...rest], { forwardInt: true }),
    );
  }
  return code;
}

main().then(
  (code) => {
    log(`${code === 0 ? 'done' : `exit ${code}`}: ${timings.join(', ')}`);
    process.exit(code);
  },
  (e) => {
    log(`internal error: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
