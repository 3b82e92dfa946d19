import { describe, expect, it } from 'vitest';
import { SseLineParser } from './sse-lines.js';

function feedAll(chunks: (string | Uint8Array)[]): { event: string; data: string }[] {
  const p = new SseLineParser();
  const out = chunks.flatMap((c) => p.push(c));
  return [...out, ...p.flush()];
}

describe('ORCH-4014: llama.cpp SSE line parser', () => {
  it('ORCH-4014: reassembles events split at every byte boundary', () => {
    const text = 'data: {"content":"Hé"}\n\ndata: {"content":"llo"}\n\n';
    const bytes = Buffer.from(text, 'utf8');
    for (let size = 1; size <= 7; size++) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(feedAll(chunks)).toEqual([
        { event: 'message', data: '{"content":"Hé"}' },
        { event: 'message', data: '{"content":"llo"}' },
      ]);
    }
  });

  it('ORCH-4014: skips `:` comment lines and unknown fields, handles CRLF', () => {
    const out = feedAll([': ping\r\n\r\nid: 7\r\nretry: 10\r\ndata: {"a":1}\r', '\n\r\n']);
    expect(out).toEqual([{ event: 'message', data: '{"a":1}' }]);
  });

  it('ORCH-4014: llama-server `error:` lines become error events', () => {
    const out = feedAll(['error: {"code":500,"message":"boom"}\n\n']);
    expect(out).toEqual([{ event: 'error', data: '{"code":500,"message":"boom"}' }]);
  });

  it('ORCH-4014: JSON-lines without SSE framing still parse; unterminated tail flushes', () => {
    expect(feedAll(['{"a":1}\n{"b":', '2}'])).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'message', data: '{"b":2}' },
    ]);
  });

  it('ORCH-4014: multi-line data joins with newline; event field names the event', () => {
    expect(feedAll(['event: x\ndata: a\ndata: b\n\n'])).toEqual([{ event: 'x', data: 'a\nb' }]);
  });
});
