// SSE framing shared by every writer and reader of OrchQueue streams (ORCH-2002):
// `event: <name>\ndata: <one-line JSON>\n\n`. The sidecar writes streams; the gateway writes
// only the single terminal event of a task canceled or expired while queued (ORCH-4005).
import type { SseEvent, SseEventName } from './types.js';

export const SSE_EVENT_NAMES = [
  'started',
  'token',
  'metrics',
  'end',
  'error',
] as const satisfies readonly SseEventName[];
export const SSE_TERMINAL_EVENTS = ['end', 'error'] as const satisfies readonly SseEventName[];

export function isSseEventName(value: string): value is SseEventName {
  return (SSE_EVENT_NAMES as readonly string[]).includes(value);
}

/**
 * Frame one event. JSON.stringify never emits a raw newline, so data stays on one line.
 * ORCH-4032: `id` is the event's position in the task's stream (0 for `started`), what a client
 * sends back as `Last-Event-ID` to resume.
 */
export function formatSseEvent(e: SseEvent, id?: number): string {
  const idLine = id === undefined ? '' : `id: ${id}\n`;
  return `${idLine}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

export interface RawSseEvent {
  event: string;
  data: string;
  /** The event's `id:` field, when it has one (ORCH-4032). */
  id?: string;
}

/**
 * ORCH-4032: the resume point a stream request asks for: `Last-Event-ID`, else the
 * `last_event_id` query parameter. undefined when neither is present; 'invalid' when one is not
 * a non-negative integer id.
 */
export function lastEventIdOf(
  header: string | undefined,
  query: string | undefined,
): number | 'invalid' | undefined {
  const raw = header ?? query;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (!/^(0|[1-9][0-9]{0,8})$/.test(text)) return 'invalid';
  return Number(text);
}

/**
 * Incremental parser: feed chunks as they arrive, get complete events back. Keeps a buffer, so
 * events split across chunks are handled; comments and unknown fields are skipped.
 */
export class SseParser {
  private buffer = '';
  // A chunk ending in \r may be the first half of \r\n; hold it until the next chunk.
  private carryCr = false;

  push(chunk: string): RawSseEvent[] {
    let text = this.carryCr ? `\r${chunk}` : chunk;
    this.carryCr = text.endsWith('\r');
    if (this.carryCr) text = text.slice(0, -1);
    this.buffer += text.replace(/\r\n?/g, '\n');
    const out: RawSseEvent[] = [];
    let cut = this.buffer.indexOf('\n\n');
    while (cut !== -1) {
      const block = this.buffer.slice(0, cut);
      this.buffer = this.buffer.slice(cut + 2);
      const ev = parseBlock(block);
      if (ev) out.push(ev);
      cut = this.buffer.indexOf('\n\n');
    }
    return out;
  }

  /** Bytes received after the last complete event (non-empty means a cut-off stream). */
  get pending(): string {
    return this.buffer;
  }
}

function parseBlock(block: string): RawSseEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return undefined;
  return id === undefined ? { event, data: data.join('\n') } : { event, data: data.join('\n'), id };
}

/** Parse a whole transcript into raw events; throws if it ends mid-event. */
export function parseSseTranscript(text: string): RawSseEvent[] {
  const p = new SseParser();
  const events = p.push(text);
  if (p.pending.trim() !== '') throw new Error('SSE transcript ends with an incomplete event');
  return events;
}
