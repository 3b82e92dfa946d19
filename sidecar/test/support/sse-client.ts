// Test helper: reads our SSE stream event by event (strict framing check) with a time bound.
// Every event must carry an id, one more than the previous event's (ORCH-4032).

export interface SseEvent {
  /** The event's id (its position in the task's stream). */
  id: number;
  event: string;
  data: Record<string, unknown>;
  /** ms since the reader started. */
  at: number;
}

const FRAME = /^id: (0|[1-9][0-9]*)\nevent: ([a-z]+)\ndata: (.*)$/;

/** Reads the whole stream; onEvent may act (e.g. cancel) while it flows. */
export async function readSse(
  res: Response,
  onEvent?: (ev: SseEvent, all: SseEvent[]) => void,
  timeoutMs = 30_000,
): Promise<{ events: SseEvent[]; raw: string }> {
  if (!res.body) throw new Error('no body');
  const t0 = performance.now();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buf = '';
  let raw = '';
  const timer = setTimeout(() => void reader.cancel(new Error('readSse timeout')), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      raw += text;
      buf += text;
      let idx = buf.indexOf('\n\n');
      while (idx >= 0) {
        const block = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        const m = FRAME.exec(block);
        if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined)
          throw new Error(`bad SSE frame: ${JSON.stringify(block)}`);
        const id = Number(m[1]);
        const previous = events.at(-1);
        if (previous && id !== previous.id + 1)
          throw new Error(`SSE id ${id} after ${previous.id}: ids must be consecutive`);
        const ev = {
          id,
          event: m[2],
          data: JSON.parse(m[3]) as Record<string, unknown>,
          at: performance.now() - t0,
        };
        events.push(ev);
        onEvent?.(ev, events);
        idx = buf.indexOf('\n\n');
      }
    }
  } finally {
    clearTimeout(timer);
  }
  if (buf.length > 0) throw new Error(`trailing bytes after last frame: ${JSON.stringify(buf)}`);
  return { events, raw };
}

/** Checks ORCH-2027/2029: started first, consecutive token indices, exactly one terminal, last. */
export function grammarViolations(events: SseEvent[]): string[] {
  const v: string[] = [];
  if (events[0]?.event !== 'started') v.push('first event is not started');
  const terminals = events.filter((e) => e.event === 'end' || e.event === 'error');
  if (terminals.length !== 1) v.push(`${terminals.length} terminal events`);
  const last = events.at(-1);
  if (last && last.event !== 'end' && last.event !== 'error') v.push('last event is not terminal');
  let i = 0;
  for (const e of events) {
    if (e.event !== 'token') continue;
    if (e.data.i !== i) v.push(`token index ${String(e.data.i)} where ${i} expected`);
    i += 1;
  }
  return v;
}
