// Read-only probes of llama-server: /health, /props, /metrics, /slots. Each is bounded in time
// (getText, shared with the other HTTP adapters).

import { getText } from '../openai-compatible/http.js';

export async function getJson(
  baseUrl: string,
  path: string,
  signal?: AbortSignal,
): Promise<unknown> {
  const { status, body } = await getText(new URL(path, baseUrl), signal);
  if (status < 200 || status >= 300) {
    throw new Error(`GET ${path} → HTTP ${status}: ${body.slice(0, 200)}`);
  }
  return JSON.parse(body) as unknown;
}

export async function getStatus(
  baseUrl: string,
  path: string,
  signal?: AbortSignal,
): Promise<{ status: number; body: string }> {
  return getText(new URL(path, baseUrl), signal);
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
