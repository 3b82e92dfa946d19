// One child engine process: spawn, keep the tail of its output for error messages, report exit,
// stop with SIGTERM then SIGKILL. Bounded in time everywhere.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const TAIL_LINES = 40;

export class EngineProcess {
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private exitInfo: ExitInfo | undefined;

  constructor(binary: string, args: readonly string[], env?: NodeJS.ProcessEnv) {
    this.child = spawn(binary, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ?? process.env,
    });
    const keep = (buf: Buffer): void => {
      for (const line of buf.toString('utf8').split('\n')) {
        if (line.trim().length === 0) continue;
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
      }
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    // If our own process exits (even through an uncaught exception) the engine must not be left
    // running as an orphan holding its port and CPU.
    const reap = (): void => {
      if (this.running) this.child.kill('SIGKILL');
    };
    process.once('exit', reap);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        process.removeListener('exit', reap);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.once('error', (err) => {
        this.tail.push(`spawn error: ${err.message}`);
        this.exitInfo = { code: -1, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  recentOutput(): string {
    return this.tail.join('\n');
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves once the process has exited. */
  async stop(graceMs = 3000): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Immediate hard kill (tests simulate a crash with this). */
  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

/** Runs `binary args` to completion with a time bound and returns stdout+stderr. */
export function captureOutput(
  binary: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
