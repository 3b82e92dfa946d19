import { describe, expect, it } from 'vitest';
import { SseParser, formatSseEvent, lastEventIdOf, parseSseTranscript } from './sse.js';
import type { SseEvent } from './types.js';
import { validateSseTranscript } from './validate.js';

const stream: SseEvent[] = [
  { event: 'started', data: { queue_position: 0, predicted_start_ms: 5 } },
  { event: 'token', data: { t: 'line one\nline "two"', i: 0 } },
  { event: 'token', data: { t: ' ✓', i: 1 } },
  { event: 'metrics', data: { queue_depth: 0, kv_warmth: true } },
  { event: 'end', data: { tokens_out: 2, decode_time_ms: 9, reason: 'stop' } },
];

describe('ORCH-2002: SSE framing', () => {
  it('ORCH-2002: each event is event line, one data line, blank line', () => {
    const text = formatSseEvent(stream[1] as SseEvent);
    expect(text).toBe('event: token\ndata: {"t":"line one\\nline \\"two\\"","i":0}\n\n');
  });

  it('ORCH-2002: parser reassembles events split at every byte boundary', () => {
    const text = stream.map(formatSseEvent).join('');
    for (let cut = 1; cut < text.length; cut += 7) {
      const p = new SseParser();
      const got = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(got.map((e) => e.event)).toEqual(stream.map((e) => e.event));
      expect(p.pending).toBe('');
    }
  });

  it('ORCH-2002: CRLF framing split between \\r and \\n parses as one event per block', () => {
    const text = stream.map(formatSseEvent).join('').replace(/\n/g, '\r\n');
    const p = new SseParser();
    const got = [];
    for (let i = 0; i < text.length; i++) got.push(...p.push(text[i] ?? ''));
    expect(got.map((e) => e.event)).toEqual(stream.map((e) => e.event));
  });

  it('ORCH-2027: a well-formed stream validates; a cut-off one does not', () => {
    const text = stream.map(formatSseEvent).join('');
    expect(validateSseTranscript(text).issues).toEqual([]);
    expect(() => parseSseTranscript(text.slice(0, -1))).toThrow(/incomplete/);
    expect(validateSseTranscript(text.slice(0, text.lastIndexOf('event: end'))).ok).toBe(false);
  });

  it('ORCH-2029: two terminal events are rejected', () => {
    const text = [
      ...stream,
      {
        event: 'error',
        data: { code: 'INTERNAL', message: 'x', engine: 'llamacpp', retriable: false },
      } as SseEvent,
    ]
      .map(formatSseEvent)
      .join('');
    const r = validateSseTranscript(text);
    expect(r.ok).toBe(false);
    expect(r.issues.map((i) => i.message).join()).toMatch(/exactly one terminal/);
  });

  it('ORCH-4005: a lone terminal event (canceled while queued) is a valid stream', () => {
    const text = formatSseEvent({
      event: 'end',
      data: { tokens_out: 0, decode_time_ms: 0, reason: 'canceled' },
    });
    expect(validateSseTranscript(text).ok).toBe(true);
  });
});

describe('ORCH-4032: event ids and the resume point', () => {
  it('ORCH-4032: formatSseEvent writes the id first; the parser reads it back', () => {
    const text = formatSseEvent({ event: 'token', data: { t: 'a', i: 0 } }, 1);
    expect(text).toBe('id: 1\nevent: token\ndata: {"t":"a","i":0}\n\n');
    expect(new SseParser().push(text)).toEqual([
      { event: 'token', data: '{"t":"a","i":0}', id: '1' },
    ]);
  });

  it('ORCH-4032: Last-Event-ID wins over ?last_event_id; anything but a small non-negative integer is invalid', () => {
    expect(lastEventIdOf(undefined, undefined)).toBeUndefined();
    expect(lastEventIdOf('7', '3')).toBe(7);
    expect(lastEventIdOf(undefined, '0')).toBe(0);
    for (const bad of ['', '-1', '01', '1.5', 'abc', '9999999999', ' ']) {
      expect(lastEventIdOf(bad, undefined)).toBe('invalid');
    }
  });
});
