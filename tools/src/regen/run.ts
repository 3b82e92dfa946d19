// Runs the regen steps and implements the --check gate (ORCH-5005): regenerate twice, fail when
// the two runs differ (nondeterminism) or when git sees changes under any generated output.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isAvailable, regenSteps } from './steps.js';
import type { RegenStep } from './steps.js';

// Fixed locale and zone so no generator output depends on the machine.
const ENV = { ...process.env, LC_ALL: 'C', TZ: 'UTC', NO_COLOR: '1', FORCE_COLOR: '0' };
const STEP_TIMEOUT_MS = 120_000;

type Log = (line: string) => void;

function runStep(root: string, step: RegenStep, log: Log): void {
  for (const dir of step.clean) rmSync(join(root, dir), { recursive: true, force: true });
  const t0 = Date.now();
  const res = spawnSync(step.cmd, step.args, {
    cwd: join(root, step.cwd),
    env: { ...ENV, ...step.env },
    encoding: 'utf8',
    timeout: STEP_TIMEOUT_MS,
  });
  if (res.error || res.status !== 0) {
    const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `regen step "${step.name}" failed (${res.error?.message ?? `exit ${res.status}`})\n${out}`,
    );
  }
  log(`regen: ${step.name} ok (${Date.now() - t0} ms)`);
}

/** Run every available step in order; returns the outputs of the steps that ran. */
export function regenerate(root: string, log: Log, checking = false): string[] {
  const outputs: string[] = [];
  for (const step of regenSteps(root)) {
    if (!isAvailable(root, step)) {
      log(`regen: ${step.name} skipped (${step.requires} not present)`);
      continue;
    }
    if (checking && step.checkedBy !== undefined) {
      log(`regen --check: ${step.name} left to ${step.checkedBy}`);
      continue;
    }
    runStep(root, step, log);
    outputs.push(...step.outputs);
  }
  return outputs;
}

function listFiles(abs: string): string[] {
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [abs];
  return readdirSync(abs)
    .sort()
    .flatMap((name) => listFiles(join(abs, name)));
}

/** sha256 of every file under the outputs, keyed by repo-relative path. */
export function snapshot(root: string, outputs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of outputs) {
    for (const f of listFiles(join(root, o))) {
      out.set(relative(root, f), createHash('sha256').update(readFileSync(f)).digest('hex'));
    }
  }
  return out;
}

export function snapshotDiff(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k));
}

/** `git status --porcelain` lines under the given paths (modified, added, deleted, untracked). */
function gitChanges(root: string, paths: string[]): string[] {
  const res = spawnSync('git', ['status', '--porcelain', '--untracked-files=all', '--', ...paths], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (res.status !== 0) throw new Error(`git status failed: ${res.stderr}`);
  return res.stdout.split('\n').filter((l) => l.trim() !== '');
}

export function check(root: string, log: Log): number {
  const outputs = regenerate(root, log, true);
  const first = snapshot(root, outputs);
  regenerate(root, log, true);
  const unstable = snapshotDiff(first, snapshot(root, outputs));
  const changed = gitChanges(root, outputs);
  if (unstable.length > 0) {
    log(`regen --check: output differs between two runs (nondeterministic):`);
    for (const f of unstable) log(`  ${f}`);
  }
  if (changed.length > 0) {
    log(`regen --check: generated files differ from git; run \`npm run regen\` and commit:`);
    for (const l of changed) log(`  ${l}`);
  }
  if (unstable.length > 0 || changed.length > 0) return 1;
  log(`regen --check: ${first.size} generated files, deterministic and up to date`);
  return 0;
}
