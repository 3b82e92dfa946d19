// llama-server failures → our public codes (ORCH-4014). Only this file knows llama.cpp's statuses.
import type { AdapterError } from '../types.js';

/** Maps a non-2xx /completion response. */
export function mapHttpError(status: number, bodyText: string): AdapterError {
  const detail = extractMessage(bodyText);
  if (status === 400) {
    return {
      code: 'INVALID_PARAMS',
      message: `engine rejected the request: ${detail}`,
      retriable: false,
    };
  }
  if (status === 503) {
    // 503 = loading model or no free slot: another replica (or a later try) may serve it.
    return { code: 'WORKER_RESET', message: `engine unavailable: ${detail}`, retriable: true };
  }
  return { code: 'INTERNAL', message: `engine HTTP ${status}: ${detail}`, retriable: false };
}

/** Maps a transport failure (refused, reset, closed) that was not our own abort. */
export function mapTransportError(err: unknown): AdapterError {
  return {
    code: 'WORKER_RESET',
    message: `engine connection failed: ${describe(err)}`,
    retriable: true,
  };
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

function extractMessage(bodyText: string): string {
  try {
    const v: unknown = JSON.parse(bodyText);
    if (typeof v === 'object' && v !== null && 'error' in v) {
      const e = (v as { error: unknown }).error;
      if (typeof e === 'object' && e !== null && 'message' in e) {
        const m = (e as { message: unknown }).message;
        if (typeof m === 'string') return m;
      }
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return bodyText.slice(0, 200);
}
