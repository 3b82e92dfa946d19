import { describe, expect, it } from 'vitest';
import { parsePromSamples, promSum } from './http.js';
import { SseReader, type SseReaderOptions } from './sse-reader.js';

function feed(
  chunks: (string | Uint8Array)[],
  opts?: SseReaderOptions,
): { event: string; data: string }[] {
  const r = new SseReader(opts);
  return [...chunks.flatMap((c) => r.push(c)), ...r.flush()];
}

// llama-server's dialect, as the llamacpp adapter configures it.
const LLAMA = { fieldEvents: ['error'], jsonLines: true } as const;

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

  it('ORCH-4014: CRLF framing, comment and unknown lines skipped', () => {
    const out = feed([': ping\r\n\r\nid: 7\r\nretry: 10\r\ndata: {"a":1}\r', '\n\r\n']);
    expect(out).toEqual([{ event: 'message', data: '{"a":1}' }]);
  });

  it('ORCH-4014: llama-server dialect: `error:` lines are error events, bare JSON lines are events', () => {
    expect(feed(['error: {"code":500,"message":"boom"}\n\n'], LLAMA)).toEqual([
      { event: 'error', data: '{"code":500,"message":"boom"}' },
    ]);
    expect(feed(['{"a":1}\n{"b":', '2}'], LLAMA)).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'message', data: '{"b":2}' },
    ]);
    // Without the dialect the same lines carry nothing (unknown field / not SSE).
    expect(feed(['error: {"code":500}\n\n'])).toEqual([]);
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
