// Restarts a crashed supervised engine with capped exponential backoff (ORCH-3038) and a bounded
// restart budget per window, so a crash loop cannot become a restart storm (ORCH-3053).
import type { EngineProcess, ExitInfo } from './process.js';

export interface RestartPolicy {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** At most this many restarts within windowMs; then the sidecar gives up (stays unready). */
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialBackoffMs: 1000,
  maxBackoffMs: 30_000,
  maxRestarts: 5,
  windowMs: 600_000,
};

interface RestartHooks {
  /** The engine died: mark the replica unready. */
  onDown(exit: ExitInfo): void;
  /** A new process is healthy; `problem` is set when its post-start checks failed. */
  onUp(proc: EngineProcess, problem: string | undefined): void;
  onGiveUp(reason: string): void;
  /** A restart is being attempted (counted whether or not the engine comes up). */
  onAttempt?(): void;
  /** Post-start checks (determinism, canary); returns a problem or undefined. */
  verify(): Promise<string | undefined>;
  log(msg: string): void;
}

export class EngineRestarter {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly restarts: number[] = [];
  private consecutiveFailures = 0;

  constructor(
    private readonly relaunch: () => Promise<EngineProcess>,
    private readonly hooks: RestartHooks,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  get restartCount(): number {
    return this.restarts.length;
  }

  watch(proc: EngineProcess): void {
    void proc.exited.then((exit) => {
      if (this.stopped) return;
      this.hooks.onDown(exit);
      this.schedule();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    const t = this.now();
    while (this.restarts.length > 0 && (this.restarts[0] ?? t) < t - this.policy.windowMs)
      this.restarts.shift();
    if (this.restarts.length >= this.policy.maxRestarts) {
      this.hooks.onGiveUp(
        `engine restart budget exhausted (${this.policy.maxRestarts} in ${this.policy.windowMs} ms); no more restarts until a reload`,
      );
      return;
    }
    const delay = Math.min(
      this.policy.initialBackoffMs * 2 ** this.consecutiveFailures,
      this.policy.maxBackoffMs,
    );
    this.hooks.log(`engine down; restart in ${delay} ms`);
    this.timer = setTimeout(() => void this.attempt(), delay);
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    this.restarts.push(this.now());
    this.hooks.onAttempt?.();
    let proc: EngineProcess;
    try {
      proc = await this.relaunch();
    } catch (err) {
      this.consecutiveFailures += 1;
      this.hooks.log(
        `engine restart failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
      this.schedule();
      return;
    }
    if (this.stopped) {
      await proc.stop();
      return;
    }
    const problem = await this.hooks
      .verify()
      .catch((err: unknown) => `post-restart check failed: ${String(err)}`);
    // A process that came up counts as a success even if its checks fail (those keep it unready).
    this.consecutiveFailures = problem ? this.consecutiveFailures + 1 : 0;
    this.hooks.onUp(proc, problem);
    this.watch(proc);
  }
}
