// Progress lines for the bootstrap: every line carries the elapsed seconds since start,
// so a slow step is visible in CI logs without extra tooling.

export interface Progress {
  info(step: string, msg: string): void;
  warn(step: string, msg: string): void;
  /** Seconds since the logger was created. */
  elapsed(): number;
}

export function createProgress(
  write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  now: () => number = () => performance.now(),
): Progress {
  const t0 = now();
  const elapsed = (): number => (now() - t0) / 1000;
  const stamp = (): string => `+${elapsed().toFixed(1)}s`.padStart(8);
  return {
    info: (step, msg) => write(`[bootstrap ${stamp()}] ${step}: ${msg}`),
    warn: (step, msg) => write(`[bootstrap ${stamp()}] ${step}: WARNING ${msg}`),
    elapsed,
  };
}

export const silentProgress: Progress = {
  info: () => undefined,
  warn: () => undefined,
  elapsed: () => 0,
};
