// Read-only probes of llama-server: /health, /props, /metrics, /slots. Each is bounded in time.

const PROBE_TIMEOUT_MS = 2000;

function withTimeout(signal?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  return signal ? AbortSignal.any([signal, t]) : t;
}

export async function getJson(
  baseUrl: string,
  path: string,
  signal?: AbortSignal,
): Promise<unknown> {
  const res = await fetch(new URL(path, baseUrl), { signal: withTimeout(signal) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${path} → HTTP ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

export async function getStatus(
  baseUrl: string,
  path: string,
  signal?: AbortSignal,
): Promise<{ status: number; body: string }> {
  const res = await fetch(new URL(path, baseUrl), { signal: withTimeout(signal) });
  return { status: res.status, body: await res.text() };
}

/** Parses Prometheus text exposition into name → value (labels ignored; llama.cpp uses none). */
export function parsePromText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) out.set(m[1], v);
  }
  return out;
}

interface SlotState {
  id: number;
  isProcessing: boolean;
  nCtx: number;
}

export function parseSlots(v: unknown): SlotState[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((s: unknown) => {
    if (typeof s !== 'object' || s === null) return [];
    const r = s as Record<string, unknown>;
    return [
      {
        id: typeof r.id === 'number' ? r.id : -1,
        isProcessing: r.is_processing === true,
        nCtx: typeof r.n_ctx === 'number' ? r.n_ctx : 0,
      },
    ];
  });
}
