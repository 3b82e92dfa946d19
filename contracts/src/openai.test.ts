import { describe, expect, it } from 'vitest';
import {
  ERROR_CODE_LIST,
  ERROR_CODES,
  openAiErrorResponse,
  openAiRouteOf,
  parseOpenAiRequest,
  requestedMaxTokens,
  stopList,
  validateSchema,
} from './index.js';

const chat = (body: Record<string, unknown>): string =>
  JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...body });

describe('ORCH-3103/3105: OpenAI request parsing', () => {
  it('ORCH-3103: only the two completion paths are OpenAI body routes', () => {
    expect(openAiRouteOf('/v1/chat/completions')).toBe('chat');
    expect(openAiRouteOf('/v1/completions?x=1')).toBe('completions');
    expect(openAiRouteOf('/v1/tasks')).toBeUndefined();
    expect(openAiRouteOf('/v1/models')).toBeUndefined();
  });

  it('ORCH-3105: a chat request with every served parameter passes; unknown fields are ignored', () => {
    const r = parseOpenAiRequest(
      'chat',
      chat({
        max_completion_tokens: 9,
        max_tokens: 5,
        temperature: 0,
        top_p: 0.5,
        seed: 7,
        stop: ['\n', 'END'],
        n: 1,
        stream: true,
        stream_options: { include_usage: true },
        user: 'u',
        frequency_penalty: 0,
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(requestedMaxTokens(r.request)).toBe(9);
    expect(stopList(r.request.body.stop)).toEqual(['\n', 'END']);
    expect(stopList('x')).toEqual(['x']);
  });

  it('ORCH-3105: n > 1, bad JSON, missing messages and bad values are 400s naming the param', () => {
    expect(parseOpenAiRequest('chat', chat({ n: 2 }))).toMatchObject({ ok: false, param: 'n' });
    expect(parseOpenAiRequest('chat', '{')).toMatchObject({ ok: false, param: null });
    expect(parseOpenAiRequest('chat', JSON.stringify({ model: 'm' }))).toMatchObject({
      ok: false,
    });
    expect(parseOpenAiRequest('chat', chat({ temperature: 3 }))).toMatchObject({
      ok: false,
      param: 'temperature',
    });
    expect(parseOpenAiRequest('completions', JSON.stringify({ model: 'm' }))).toMatchObject({
      ok: false,
    });
    expect(
      parseOpenAiRequest('completions', JSON.stringify({ model: 'm', prompt: 'p', stop: 'x' })),
    ).toMatchObject({ ok: true });
  });
});

describe('ORCH-3106: OpenAI errors come from the one catalogue', () => {
  it('ORCH-3106: every code keeps its HTTP status; the body is OpenAI-shaped and valid', () => {
    for (const code of ERROR_CODE_LIST) {
      const r = openAiErrorResponse({ code, message: 'm', retry_after_ms: 1500 });
      expect(r.status).toBe(ERROR_CODES[code].httpStatus);
      expect(r.body.error).toMatchObject({ message: 'm', code, param: null });
      expect(validateSchema('data', 'OpenAiErrorResponse', r.body).ok).toBe(true);
    }
  });

  it('ORCH-3106: 429 keeps Retry-After and X-Backoff-Ms', () => {
    const r = openAiErrorResponse({ code: 'ADMISSION_REJECT', message: 'm', retry_after_ms: 1500 });
    expect(r.headers).toMatchObject({ 'retry-after': '2', 'x-backoff-ms': '1500' });
    expect(r.body.error.type).toBe('rate_limit_error');
    expect(openAiErrorResponse({ code: 'NOT_FOUND', message: 'm' }).headers['retry-after']).toBe(
      undefined,
    );
  });
});
