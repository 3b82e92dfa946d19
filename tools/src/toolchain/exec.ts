import { spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ToolchainError } from './errors.js';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called once per complete output line (stdout and stderr interleaved). */
  onLine?: (line: string) => void;
  /** Append all output to this file (kept for post-mortem of long builds). */
  logFile?: string;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws on a non-zero exit (callers decide). */
export function run(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = opts.logFile !== undefined ? createWriteStream(opts.logFile, { flags: 'a' }) : null;
    let stdout = '';
    let stderr = '';
    const pending = { out: '', err: '' };
    const feed = (which: 'out' | 'err', chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      if (which === 'out') stdout += text;
      else stderr += text;
      log?.write(text);
      if (opts.onLine === undefined) return;
      const lines = (pending[which] + text).split(/\r?\n|\r/);
      pending[which] = lines.pop() ?? '';
      for (const l of lines) opts.onLine(l);
    };
    child.stdout.on('data', (c: Buffer) => feed('out', c));
    child.stderr.on('data', (c: Buffer) => feed('err', c));
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs).unref()
        : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      log?.end();
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      for (const rest of [pending.out, pending.err]) if (rest !== '') opts.onLine?.(rest);
      log?.end();
      resolve({ code: code ?? (signal !== null ? 128 : 1), stdout, stderr });
    });
  });
}

/** Runs a command and throws a ToolchainError with the tail of its output when it fails. */
export async function runChecked(
  what: string,
  cmd: string,
  args: readonly string[],
  fix: string,
  opts: RunOptions = {},
): Promise<RunResult> {
  let res: RunResult;
  try {
    res = await run(cmd, args, opts);
  } catch (e) {
    throw new ToolchainError('PREREQUISITE_MISSING', `${what}: cannot run ${cmd}`, fix, {
      cause: e,
    });
  }
  if (res.code !== 0) {
    const tail = (res.stderr + res.stdout).trim().split('\n').slice(-15).join('\n    ');
    const where = opts.logFile !== undefined ? ` (full log: ${opts.logFile})` : '';
    throw new ToolchainError(
      'FETCH_FAILED',
      `${what} failed: \`${cmd} ${args.join(' ')}\` exited ${res.code}${where}\n    ${tail}`,
      fix,
    );
  }
  return res;
}

/** Absolute path of an executable on PATH, or undefined. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** Throws a PREREQUISITE_MISSING error naming the tool and how to install it. */
export function requireCommand(name: string, fix: string): string {
  const p = which(name);
  if (p === undefined) {
    throw new ToolchainError('PREREQUISITE_MISSING', `\`${name}\` is not on PATH`, fix);
  }
  return p;
}
