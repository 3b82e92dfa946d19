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

/** Frame one event. JSON.stringify never emits a raw newline, so data stays on one line. */
export function formatSseEvent(e: SseEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

export interface RawSseEvent {
  event: string;
  data: string;
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
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  return { event, data: data.join('\n') };
}

/** Parse a whole transcript into raw events; throws if it ends mid-event. */
export function parseSseTranscript(text: string): RawSseEvent[] {
  const p = new SseParser();
  const events = p.push(text);
  if (p.pending.trim() !== '') throw new Error('SSE transcript ends with an incomplete event');
  return events;
}
