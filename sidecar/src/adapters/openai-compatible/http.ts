// Bounded read-only probes and small parsers shared by the HTTP engine adapters.
import type { AdapterError } from '../types.js';

const PROBE_TIMEOUT_MS = 2000;

export function probeSignal(signal?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  return signal ? AbortSignal.any([signal, t]) : t;
}

export async function getText(
  url: URL | string,
  signal?: AbortSignal,
): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: probeSignal(signal) });
  return { status: res.status, body: await res.text() };
}

export async function getJson(url: URL | string, signal?: AbortSignal): Promise<unknown> {
  const { status, body } = await getText(url, signal);
  if (status < 200 || status >= 300) {
    throw new Error(`GET ${String(url)} → HTTP ${status}: ${body.slice(0, 200)}`);
  }
  return JSON.parse(body) as unknown;
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

export interface PromSample {
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
