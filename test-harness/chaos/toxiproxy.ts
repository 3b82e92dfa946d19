// Toxiproxy (built by the toolchain, ORCH-5001) as a child process on loopback, and the few calls
// of its REST API the chaos suite needs: a proxy per link, cut (disable: every open connection
// is closed and new ones are refused), latency, and restore.
import { Supervisor, freePorts, loadToxiproxy, waitForHttp } from '@llama-orch/tools';

interface LinkProxy {
  readonly name: string;
  /** host:port clients connect to instead of `upstream`. */
  readonly listen: string;
  readonly upstream: string;
}

export interface Toxiproxy {
  readonly version: string;
  readonly apiUrl: string;
  createProxy(name: string, listen: string, upstream: string): Promise<LinkProxy>;
  /** Disable the proxy: open connections close, new ones are refused, until restore(). */
  cut(name: string): Promise<void>;
  /** Add `latencyMs` (± jitter) to both directions of the link, until restore(). */
  delay(name: string, latencyMs: number, jitterMs?: number): Promise<void>;
  /** Enabled, no toxics. */
  restore(name: string): Promise<void>;
  close(): Promise<void>;
}

async function call(apiUrl: string, method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) {
    throw new Error(`toxiproxy ${method} ${path}: ${res.status} ${await res.text()}`);
  }
  await res.arrayBuffer();
}

/** @param apiPort the API's port, from the caller's own allocation (default: a free one). */
export async function startToxiproxy(apiPort?: number): Promise<Toxiproxy> {
  const bin = await loadToxiproxy();
  const port = apiPort ?? (await freePorts(1))[0];
  const apiUrl = `http://127.0.0.1:${port}`;
  const sup = new Supervisor({ write: () => undefined, graceMs: 2000, runLogLabel: 'toxiproxy' });
  const child = sup.start({
    name: 'toxiproxy',
    cmd: bin.bin,
    args: ['-host', '127.0.0.1', '-port', String(port), '-seed', '1'],
  });
  try {
    await waitForHttp(`${apiUrl}/version`, {
      timeoutMs: 15_000,
      abortOn: child.exited.then(() => `toxiproxy exited: ${child.tail().join('\n')}`),
    });
  } catch (e) {
    await sup.stopAll();
    throw e;
  }
  const toxics = new Map<string, string[]>();
  return {
    version: bin.version,
    apiUrl,
    async createProxy(name, listen, upstream) {
      await call(apiUrl, 'POST', '/proxies', { name, listen, upstream, enabled: true });
      return { name, listen, upstream };
    },
    cut: (name) => call(apiUrl, 'POST', `/proxies/${name}`, { enabled: false }),
    async delay(name, latencyMs, jitterMs = 0) {
      const names: string[] = [];
      for (const stream of ['upstream', 'downstream']) {
        const toxic = `latency_${stream}`;
        await call(apiUrl, 'POST', `/proxies/${name}/toxics`, {
          name: toxic,
          type: 'latency',
          stream,
          toxicity: 1,
          attributes: { latency: latencyMs, jitter: jitterMs },
        });
        names.push(toxic);
      }
      toxics.set(name, names);
    },
    async restore(name) {
      for (const t of toxics.get(name) ?? []) {
        await call(apiUrl, 'DELETE', `/proxies/${name}/toxics/${t}`);
      }
      toxics.delete(name);
      await call(apiUrl, 'POST', `/proxies/${name}`, { enabled: true });
    },
    close: () => sup.stopAll(),
  };
}
