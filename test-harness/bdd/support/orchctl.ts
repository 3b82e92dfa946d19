// Runs the real orchctl (cli/src/main.ts through tsx) as a user would, against the stack.
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../../src/stack/index.js';

export interface OrchctlResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface OrchctlOptions {
  url: string;
  /** Send SIGINT once stdout has printed at least one character (a token). */
  interruptAfterOutput?: boolean;
  timeoutMs?: number;
}

export function orchctl(args: string[], o: OrchctlOptions): Promise<OrchctlResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ORCH_URL: o.url, HOME: '/nonexistent-orchctl-home' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (o.interruptAfterOutput && !interrupted && stdout.length > 0) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
