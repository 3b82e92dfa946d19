import { describe, expect, it } from 'vitest';
import { SseStreamWriter, StreamGrammarError } from './stream-writer.js';

function sink(): { chunks: string[]; ended: number; write(c: string): void; end(): void } {
  return {
    chunks: [],
    ended: 0,
    write(c) {
      this.chunks.push(c);
    },
    end() {
      this.ended += 1;
    },
  };
}

describe('ORCH-2027/2029: SSE stream writer grammar', () => {
  it('ORCH-2002/ORCH-4032: frames events as `id: n\\nevent: x\\ndata: {json}\\n\\n`, ids and tokens consecutive from 0', () => {
    const s = sink();
    const w = new SseStreamWriter(s);
    w.started({ queue_position: 2, predicted_start_ms: 40 });
    w.token('Hel');
    w.token('lo\n');
    w.end({ tokens_out: 2, decode_time_ms: 5, reason: 'stop' });
    expect(s.chunks).toEqual([
      'id: 0\nevent: started\ndata: {"queue_position":2,"predicted_start_ms":40}\n\n',
      'id: 1\nevent: token\ndata: {"t":"Hel","i":0}\n\n',
      'id: 2\nevent: token\ndata: {"t":"lo\\n","i":1}\n\n',
      'id: 3\nevent: end\ndata: {"tokens_out":2,"decode_time_ms":5,"reason":"stop"}\n\n',
    ]);
    expect(s.ended).toBe(1);
  });

  it('ORCH-2029: exactly one terminal event; nothing is written after it', () => {
    const s = sink();
    const w = new SseStreamWriter(s);
    w.started({ queue_position: 0, predicted_start_ms: 0 });
    expect(w.end({ tokens_out: 0, decode_time_ms: 0, reason: 'canceled' })).toBe(true);
    expect(w.token('late')).toBe(false);
    expect(w.metrics({ x: 1 })).toBe(false);
    expect(
      w.error({ code: 'WORKER_RESET', message: 'x', engine: 'llamacpp', retriable: true }),
    ).toBe(false);
    expect(w.end({ tokens_out: 0, decode_time_ms: 0, reason: 'stop' })).toBe(false);
    expect(s.chunks).toHaveLength(2);
    expect(s.ended).toBe(1);
  });

  it('ORCH-2027: started must come first', () => {
    const w = new SseStreamWriter(sink());
    expect(() => w.token('x')).toThrow(StreamGrammarError);
    expect(() => w.end({ tokens_out: 0, decode_time_ms: 0, reason: 'stop' })).toThrow(
      StreamGrammarError,
    );
    w.started({ queue_position: 0, predicted_start_ms: 0 });
    expect(() => w.started({ queue_position: 0, predicted_start_ms: 0 })).toThrow(
      StreamGrammarError,
    );
  });
});
