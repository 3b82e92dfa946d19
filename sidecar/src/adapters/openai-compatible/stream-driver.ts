// Drives one streaming HTTP request to an engine and turns its SSE body into normalised events
// through an engine-specific mapper. Shared transport semantics (ORCH-4013, ORCH-4014, ORCH-2028):
// our own abort → `canceled`; refused/reset/cut → WORKER_RESET; non-2xx → the mapper's code;
// the iterable never throws and always ends with exactly one outcome.
import type { AdapterError, GenerationEvent } from '../types.js';
import { describe, transportError } from './http.js';
import type { OutcomeTracker } from './outcome.js';
import { SseReader, type SseEvent } from './sse-reader.js';

export interface StreamMapper {
  readonly tracker: OutcomeTracker;
  /** One SSE event → zero or more normalised events (may record the outcome). */
  map(ev: SseEvent): GenerationEvent[];
  /** A non-2xx answer before any stream. */
  httpError(status: number, body: string): AdapterError;
  /** The body ended cleanly: record the outcome if the engine said enough, else cut. */
  end(): GenerationEvent[];
}

interface StreamRequest {
  url: URL;
  body: unknown;
  headers?: Record<string, string>;
  signal: AbortSignal;
}

export async function* driveStream(
  req: StreamRequest,
  mapper: StreamMapper,
): AsyncGenerator<GenerationEvent> {
  const t = mapper.tracker;
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...req.headers,
      },
      body: JSON.stringify(req.body),
      signal: req.signal,
    });
  } catch (err) {
    yield* req.signal.aborted ? t.canceled() : t.fail(transportError(err));
    return;
  }
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    yield* t.fail(mapper.httpError(res.status, text));
    return;
  }
  const sse = new SseReader();
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const ev of sse.push(value)) yield* mapper.map(ev);
      if (t.finished) return;
    }
    for (const ev of sse.flush()) yield* mapper.map(ev);
    if (req.signal.aborted) yield* t.canceled();
    else yield* mapper.end();
  } catch (err) {
    yield* req.signal.aborted ? t.canceled() : t.cut(describe(err));
  } finally {
    // Closing the body closes the socket: the engine sees the disconnect and stops the request.
    await reader.cancel().catch(() => undefined);
  }
}
