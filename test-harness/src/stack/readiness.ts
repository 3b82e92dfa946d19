// Waits until placement itself reports the wanted number of Ready replicas in a pool: the only
// readiness that matters, since it covers engine load, self-tests, canary and registration.

interface ReadyWaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Request headers (an operator's API key when the control plane needs one). */
  headers?: Record<string, string>;
  /** Extra context for the timeout error (e.g. the children's last log lines). */
  diagnose?: () => string[];
}

interface PoolHealthBody {
  replicas?: { replica_id: string; ready: boolean; unready_reason?: string }[];
}

export async function waitForReadyReplicas(
  restUrl: string,
  poolId: string,
  want: number,
  opts: ReadyWaitOptions,
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 250;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${restUrl}/v1/pools/${encodeURIComponent(poolId)}/health`, {
        headers: opts.headers ?? {},
      });
      const body = (await res.json()) as PoolHealthBody;
      const replicas = body.replicas ?? [];
      const ready = replicas.filter((r) => r.ready).length;
      if (ready >= want) return;
      last = `${ready}/${want} ready; ${replicas
        .filter((r) => !r.ready)
        .map((r) => `${r.replica_id}: ${r.unready_reason ?? 'unready'}`)
        .join(', ')}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  const extra = opts.diagnose?.() ?? [];
  throw new Error(
    `pool ${poolId}: ${want} replica(s) not Ready after ${opts.timeoutMs} ms (${last})\n${extra.join('\n')}`,
  );
}
