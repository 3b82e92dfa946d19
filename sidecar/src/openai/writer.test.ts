// ORCH-3103/3105/3106: the OpenAI writer's wire shapes, without an engine.
import { describe, expect, it } from 'vitest';
import { validateSchema } from '@llama-orch/contracts';
import { OpenAiWriter } from './writer.js';
import type { HttpOut, OpenAiWriterOptions } from './writer.js';

function out(): HttpOut & {
  status?: number;
  headers?: Record<string, string>;
  body: string;
  ended: boolean;
} {
  const o = {
    body: '',
    ended: false,
    status: undefined as number | undefined,
    headers: undefined as Record<string, string> | undefined,
    head(status: number, headers: Record<string, string>) {
      o.status = status;
      o.headers = headers;
    },
    write(chunk: string) {
      o.body += chunk;
    },
    end() {
      o.ended = true;
    },
  };
  return o;
}

const opts = (o: Partial<OpenAiWriterOptions>): OpenAiWriterOptions => ({
  route: 'chat',
  stream: false,
  includeUsage: false,
  id: 'T1',
  model: 'm',
  fingerprint: 'set-1',
  headers: { 'x-orch-seed': '7' },
  nowSec: () => 1_700_000_000,
  ...o,
});

const dataLines = (body: string): string[] =>
  body
    .split('\n\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6));

describe('ORCH-3103: OpenAI writer', () => {
  it('ORCH-3103: non-stream chat → one valid chat.completion with usage and the seed header', () => {
    const o = out();
    const w = new OpenAiWriter(o, opts({}));
    w.started({ queue_position: 0, predicted_start_ms: 0 });
    w.token('Hel');
    w.token('lo');
    w.usage(11);
    w.end({ tokens_out: 2, decode_time_ms: 5, reason: 'length' });
    expect(o.status).toBe(200);
    expect(o.headers).toMatchObject({ 'x-orch-seed': '7', 'content-type': 'application/json' });
    const body = JSON.parse(o.body) as unknown;
    expect(validateSchema('data', 'ChatCompletion', body).issues).toEqual([]);
    expect(body).toMatchObject({
      id: 'chatcmpl-T1',
      system_fingerprint: 'set-1',
      choices: [{ message: { role: 'assistant', content: 'Hello' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 },
    });
    expect(o.ended).toBe(true);
  });

  it('ORCH-3103: stream chat → role first, one chunk per token, finish chunk, usage chunk, [DONE]', () => {
    const o = out();
    const w = new OpenAiWriter(o, opts({ stream: true, includeUsage: true }));
    w.started({ queue_position: 0, predicted_start_ms: 0 });
    expect(o.status).toBeUndefined(); // headers wait for the first token
    w.token('A');
    w.token('B');
    w.usage(3);
    w.end({ tokens_out: 2, decode_time_ms: 1, reason: 'stop' });
    const lines = dataLines(o.body);
    expect(lines.at(-1)).toBe('[DONE]');
    const chunks = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(chunks.map((c) => c['object'])).toEqual(Array(4).fill('chat.completion.chunk'));
    expect(chunks[0]).toMatchObject({ choices: [{ delta: { role: 'assistant', content: 'A' } }] });
    expect(chunks[1]).toMatchObject({
      choices: [{ delta: { content: 'B' }, finish_reason: null }],
    });
    expect(chunks[2]).toMatchObject({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    expect(chunks[3]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    expect(o.headers?.['content-type']).toMatch(/^text\/event-stream/);
  });

  it('ORCH-3103: completions route → text_completion objects', () => {
    const o = out();
    const w = new OpenAiWriter(o, opts({ route: 'completions' }));
    w.started({ queue_position: 0, predicted_start_ms: 0 });
    w.token(' Paris');
    w.end({ tokens_out: 1, decode_time_ms: 1, reason: 'stop' });
    const body = JSON.parse(o.body) as unknown;
    expect(validateSchema('data', 'Completion', body).issues).toEqual([]);
    expect(body).toMatchObject({ id: 'cmpl-T1', choices: [{ text: ' Paris' }] });
  });

  it('ORCH-3106: an error before any token is a real HTTP status in OpenAI shape; after one, an error line', () => {
    const early = out();
    const w1 = new OpenAiWriter(early, opts({ stream: true }));
    w1.started({ queue_position: 0, predicted_start_ms: 0 });
    w1.error({ code: 'WORKER_RESET', message: 'engine gone', retriable: true });
    expect(early.status).toBe(500);
    expect(validateSchema('data', 'OpenAiErrorResponse', JSON.parse(early.body)).issues).toEqual(
      [],
    );
    expect(w1.token('late')).toBe(false); // nothing after the terminal event

    const late = out();
    const w2 = new OpenAiWriter(late, opts({ stream: true }));
    w2.started({ queue_position: 0, predicted_start_ms: 0 });
    w2.token('x');
    w2.error({ code: 'DECODE_TIMEOUT', message: 'stalled', retriable: true });
    expect(late.status).toBe(200);
    const last = JSON.parse(dataLines(late.body).at(-1) ?? '{}') as { error?: { code: string } };
    expect(last.error?.code).toBe('DECODE_TIMEOUT');
    expect(late.body).not.toContain('[DONE]');
  });

  it('ORCH-3106: a placement cancel is an error (OpenAI has no canceled finish reason)', () => {
    const o = out();
    const w = new OpenAiWriter(o, opts({}));
    w.started({ queue_position: 0, predicted_start_ms: 0 });
    w.end({ tokens_out: 0, decode_time_ms: 0, reason: 'canceled' });
    expect(o.status).toBe(503);
    expect(JSON.parse(o.body)).toMatchObject({ error: { code: 'POOL_UNAVAILABLE' } });
  });
});
