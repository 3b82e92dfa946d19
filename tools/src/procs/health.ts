// Bounded readiness polling: an HTTP URL must answer the expected status before a deadline,
// and the wait ends early (with the reason) when the process behind it exits.

export interface WaitHttpOptions {
  /** Total budget; default 60 s. */
  timeoutMs?: number;
  /** Poll interval; default 200 ms. */
  intervalMs?: number;
  /** Accepted status; default 200. */
  status?: number;
  /** Request headers (e.g. an API key when the probed route needs one). */
  headers?: Record<string, string>;
  /** Rejects with this reason as soon as it settles (e.g. the child's exit). */
  abortOn?: Promise<string>;
}

export class HealthTimeoutError extends Error {
  readonly code = 'HEALTH_TIMEOUT';
  constructor(
    readonly url: string,
    readonly lastResult: string,
    timeoutMs: number,
  ) {
    super(`${url} not healthy after ${timeoutMs} ms (last: ${lastResult})`);
    this.name = 'HealthTimeoutError';
  }
}

export async function waitForHttp(url: string, opts: WaitHttpOptions = {}): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 200;
  const want = opts.status ?? 200;
  const t0 = Date.now();
  let last = 'no attempt';
  let aborted: string | undefined;
  void opts.abortOn?.then((why) => {
    aborted = why;
  });
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
  for (let i = 0; i < maxAttempts && Date.now() - t0 < timeoutMs; i++) {
    if (aborted !== undefined) throw new Error(`${url}: gave up waiting: ${aborted}`);
    try {
      const res = await fetch(url, {
        headers: opts.headers ?? {},
        signal: AbortSignal.timeout(Math.min(5_000, timeoutMs)),
      });
      await res.body?.cancel();
      if (res.status === want) return Date.now() - t0;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last =
        e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  if (aborted !== undefined) throw new Error(`${url}: gave up waiting: ${aborted}`);
  throw new HealthTimeoutError(url, last, timeoutMs);
}
