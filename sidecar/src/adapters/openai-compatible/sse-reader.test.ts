import { describe, expect, it } from 'vitest';
import { parsePromSamples, promSum } from './http.js';
import { SseReader } from './sse-reader.js';

function feed(chunks: (string | Uint8Array)[]): { event: string; data: string }[] {
  const r = new SseReader();
  return [...chunks.flatMap((c) => r.push(c)), ...r.flush()];
}

describe('ORCH-4014: shared SSE reader and Prometheus parser', () => {
  it('ORCH-4014: events split at every byte boundary (incl. inside UTF-8) reassemble', () => {
    const bytes = Buffer.from(
      ': ping\n\ndata: {"text":"Hé"}\n\ndata:{"text":"wörld"}\r\n\r\ndata: [DONE]\n\n',
    );
    for (let size = 1; size <= 9; size++) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(feed(chunks).map((e) => e.data)).toEqual([
        '{"text":"Hé"}',
        '{"text":"wörld"}',
        '[DONE]',
      ]);
    }
  });

  it('ORCH-4014: event names, multi-line data, unknown fields and an unterminated tail', () => {
    expect(
      feed(['event: error\ndata: a\ndata: b\nid: 3\nretry: 5\nfoo: x\n\n', 'data: tail']),
    ).toEqual([
      { event: 'error', data: 'a\nb' },
      { event: 'message', data: 'tail' },
    ]);
  });

  it('ORCH-3054: labelled Prometheus samples sum by name and label match', () => {
    const s = parsePromSamples(
      ['# TYPE x gauge', 'x{a="1",b="q\\"z"} 2', 'x{a="2"} 3', 'y 1e3', 'bad line', 'z NaN'].join(
        '\n',
      ),
    );
    expect(promSum(s, 'x')).toBe(5);
    expect(promSum(s, 'x', { a: '2' })).toBe(3);
    expect(promSum(s, 'y')).toBe(1000);
    expect(promSum(s, 'z')).toBeUndefined();
    expect(promSum(s, 'missing')).toBeUndefined();
  });
});
