// A small process supervisor shared by `npm run up` and the test harness: prefixed line logs,
// exit tracking, and orderly shutdown (SIGTERM, then SIGKILL after a grace period).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { LineSplitter, prefixedWriter } from './line-prefix.js';
import { teeToRunLog } from './run-logs.js';

export interface ChildSpec {
  name: string;
  cmd: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedChild {
  readonly name: string;
  readonly pid: number;
  /** Settles when the process exits, however that happens. */
  readonly exited: Promise<ExitInfo>;
  /** The last lines the child wrote (for error messages). */
  tail(): string[];
  isRunning(): boolean;
  stop(): Promise<ExitInfo>;
}

export interface SupervisorOptions {
  /** Time between SIGTERM and SIGKILL; default 5 s. */
  graceMs?: number;
  /** Where prefixed child lines go; default stderr. Pass `() => {}` to silence. */
  write?: (s: string) => void;
  tailLines?: number;
  /**
   * ORCH-3141: names this supervisor's file in the run's log directory (LLAMA_ORCH_RUN_LOGS),
   * which receives every child line whatever `write` does with it; default `procs`.
   */
  runLogLabel?: string;
}

function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // Children run in their own process group, so grandchildren are signalled too.
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  }
}

export class Supervisor {
  private readonly children: SupervisedChild[] = [];
  private stopAllPromise: Promise<void> | undefined;
  private readonly graceMs: number;
  private readonly write: (s: string) => void;
  private readonly tailLines: number;
  private readonly onExitSync = (): void => {
    // Last resort if the parent dies without stopAll(): never leave engines running.
    for (const c of this.children) {
      if (!c.isRunning()) continue;
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  constructor(opts: SupervisorOptions = {}) {
    this.graceMs = opts.graceMs ?? 5_000;
    this.write = teeToRunLog(
      opts.runLogLabel ?? 'procs',
      opts.write ?? ((s) => process.stderr.write(s)),
    );
    this.tailLines = opts.tailLines ?? 40;
    process.on('exit', this.onExitSync);
  }

  start(spec: ChildSpec): SupervisedChild {
    const proc = spawn(spec.cmd, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (proc.pid === undefined) {
      throw new Error(`${spec.name}: failed to spawn ${spec.cmd}`);
    }
    const lines: string[] = [];
    const sink = prefixedWriter(spec.name, this.write);
    const keep = (line: string): void => {
      lines.push(line);
      if (lines.length > this.tailLines) lines.shift();
      sink(line);
    };
    const out = new LineSplitter(keep);
    const err = new LineSplitter(keep);
    proc.stdout?.on('data', (c: Buffer) => out.push(c));
    proc.stderr?.on('data', (c: Buffer) => err.push(c));
    let running = true;
    const exited = new Promise<ExitInfo>((resolve) => {
      proc.on('error', (e) => {
        running = false;
        keep(`spawn error: ${e.message}`);
        resolve({ code: null, signal: null });
      });
      proc.on('exit', (code, signal) => {
        running = false;
        out.flush();
        err.flush();
        resolve({ code, signal });
      });
    });
    const graceMs = this.graceMs;
    let stopping: Promise<ExitInfo> | undefined;
    const child: SupervisedChild = {
      name: spec.name,
      pid: proc.pid,
      exited,
      tail: () => [...lines],
      isRunning: () => running,
      stop() {
        if (!running) return exited;
        // Idempotent: a second stop() waits for the first instead of signalling again.
        stopping ??= (async () => {
          signalGroup(proc, 'SIGTERM');
          const timer = setTimeout(() => signalGroup(proc, 'SIGKILL'), graceMs);
          const info = await exited;
          clearTimeout(timer);
          return info;
        })();
        return stopping;
      },
    };
    this.children.push(child);
    return child;
  }

  list(): readonly SupervisedChild[] {
    return this.children;
  }

  /** True once stopAll() was called (children exiting after that are expected). */
  isStopping(): boolean {
    return this.stopAllPromise !== undefined;
  }

  /** Stops every child, last started first (the edge goes down before what it fronts). */
  stopAll(): Promise<void> {
    this.stopAllPromise ??= (async () => {
      for (const c of [...this.children].reverse()) await c.stop();
      process.off('exit', this.onExitSync);
    })();
    return this.stopAllPromise;
  }

  /**
   * On SIGINT/SIGTERM: stop all children, then exit with 130/143. A second signal forces
   * SIGKILL on everything. Returns a function that removes the handlers.
   */
  installSignalHandlers(onStopping?: (sig: NodeJS.Signals) => void): () => void {
    let stopping = false;
    const handler = (sig: NodeJS.Signals): void => {
      if (stopping) {
        this.onExitSync();
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
      stopping = true;
      onStopping?.(sig);
      void this.stopAll().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }
}
