// Bounded read-only probes, the streaming POST and small parsers shared by the HTTP engine
// adapters.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AdapterError } from '../types.js';

const PROBE_TIMEOUT_MS = 2000;

function probeSignal(signal?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  return signal ? AbortSignal.any([signal, t]) : t;
}

// One keep-alive pool per sidecar for its engine: a stream request reuses a warm connection
// (no handshake on the hot path). Idle sockets close after 2 s, before an engine's own
// keep-alive timeout (llama-server 5 s) can close one under a request just written on it.
const agents = {
  http: new HttpAgent({ keepAlive: true, timeout: 2_000 }),
  https: new HttpsAgent({ keepAlive: true, timeout: 2_000 }),
};

/**
 * GET and read the whole answer, bounded in time. Over node:http with the same keep-alive pool as
 * the stream POST (below): the probes of every heartbeat (about one a second) keep a connection to
 * the engine warm, so a stream request after a quiet spell does not open a new one (issue 19).
 */
export function getText(
  url: URL | string,
  signal?: AbortSignal,
  retryStale = true,
): Promise<{ status: number; body: string }> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const https = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      u,
      { method: 'GET', agent: https ? agents.https : agents.http, signal: probeSignal(signal) },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The keep-alive race (see postStream): a GET is safe to send once more on a fresh socket.
      const stale =
        req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up');
      if (stale && retryStale && !signal?.aborted) {
        getText(u, signal, false).then(resolve, reject);
        return;
      }
      reject(err);
    });
    req.end();
  });
}

export async function getJson(url: URL | string, signal?: AbortSignal): Promise<unknown> {
  const { status, body } = await getText(url, signal);
  if (status < 200 || status >= 300) {
    throw new Error(`GET ${String(url)} → HTTP ${status}: ${body.slice(0, 200)}`);
  }
  return JSON.parse(body) as unknown;
}

export interface StreamResponse {
  readonly status: number;
  /** The body as it arrives; iterate it once, or call text() once. */
  readonly body: AsyncIterable<Buffer>;
  text(): Promise<string>;
  /**
   * Done with the answer. `finished`: the engine already sent its final event, so the rest of the
   * body is drained and the connection stays warm (destroyed if it does not end within 1 s);
   * otherwise the connection is closed and the engine sees the client go away (it stops the task).
   */
  close(finished: boolean): void;
}

/**
 * POST a JSON body and stream the answer, over node:http with a keep-alive agent: lighter per
 * request and per chunk than fetch's WHATWG streams on the token path. `signal` aborts it (the
 * socket is destroyed, so the engine stops the task); a transport failure rejects.
 */
export function postStream(
  url: URL | string,
  body: string,
  signal: AbortSignal | undefined,
  headers: Record<string, string> = {},
  retryStale = true,
): Promise<StreamResponse> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const https = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    let responded = false;
    const req = (https ? httpsRequest : httpRequest)(
      u,
      {
        method: 'POST',
        agent: https ? agents.https : agents.http,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res: IncomingMessage) => {
        responded = true;
        // A reset after the reader is done (or while close() drains) must not crash the process;
        // a reader still iterating gets the error from the iterator.
        res.on('error', () => undefined);
        resolve({
          status: res.statusCode ?? 0,
          // Leaving the loop early must not destroy the socket: close() decides.
          body: res.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>,
          text: async () => {
            const chunks: Buffer[] = [];
            for await (const c of res) chunks.push(c as Buffer);
            return Buffer.concat(chunks).toString('utf8');
          },
          close: (finished) => {
            if (res.complete || req.destroyed) return;
            if (!finished) {
              req.destroy();
              return;
            }
            const bound = setTimeout(() => req.destroy(), 1_000);
            bound.unref();
            res.once('close', () => clearTimeout(bound));
            res.resume();
          },
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The keep-alive race: the engine closed an idle connection just as this request was written
      // on it, so the engine never read it. Node's documented remedy is to retry once on a fresh
      // socket (found by the fuzz suite as a 500 WORKER_RESET "socket hang up").
      const stale =
        req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up');
      if (stale && retryStale && !responded && !signal?.aborted) {
        postStream(u, body, signal, headers, false).then(resolve, reject);
        return;
      }
      reject(err);
    });
    // Abort by destroying the request without an error object: the reader sees the connection
    // end, and no AbortError is left for a listener that already finished.
    const onAbort = (): void => {
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => signal?.removeEventListener('abort', onAbort));
    req.end(body);
  });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition → samples, labels kept (vLLM, TGI and Triton label their series). */
export function parsePromSamples(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] === undefined || m[3] === undefined) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (l[1] !== undefined) labels[l[1]] = l[2] ?? '';
    }
    out.push({ name: m[1], labels, value });
  }
  return out;
}

/** Sum of every series of `name` whose labels include `match` (undefined when none). */
export function promSum(
  samples: readonly PromSample[],
  name: string,
  match: Record<string, string> = {},
): number | undefined {
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : undefined;
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

/** Refused, reset or closed without our abort: the engine (or its host) is gone for now. */
export function transportError(err: unknown): AdapterError {
  return {
    code: 'WORKER_RESET',
    message: `engine connection failed: ${describe(err)}`,
    retriable: true,
  };
}
