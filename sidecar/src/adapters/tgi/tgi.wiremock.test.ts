// TGI adapter contract suite against a real WireMock serving TGI's documented wire format.
// Stub bodies are built here from the docs, never captured:
// - /generate_stream events (StreamResponse: index, token{id,text,logprob,special},
//   generated_text, details{finish_reason,generated_tokens,input_length,seed}) and error bodies
//   (ErrorResponse: error, error_type): https://huggingface.github.io/text-generation-inference/
//   (OpenAPI) and https://huggingface.co/docs/text-generation-inference/conceptual/streaming
//   (SSE lines `data:{...}` with no space, keep-alive comments).
// - /info (Info: model_id, model_sha, version, sha, max_total_tokens, max_concurrent_requests)
//   and /health: same OpenAPI document.
// - Metrics (tgi_queue_size, tgi_batch_current_size):
//   https://huggingface.co/docs/text-generation-inference/reference/metrics
// - Chat template (ORCH-3102): POST /chat_tokenize takes a ChatRequest (`messages`) and answers a
//   ChatTokenizeResponse {tokenize_response: [SimpleToken{id,text,start,stop}], templated_text};
//   a template error is 422 (ErrorResponse): huggingface/text-generation-inference
//   router/src/server.rs (get_chat_tokenize, InferError → status) and router/src/lib.rs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  resetStubs,
  sseBody,
  startWireMock,
  stub,
  type WireMockServer,
} from '@llama-orch/test-harness/wiremock';
import { collect } from '../../../test/support/collect-generation.js';
import { TgiAdapter } from './adapter.js';

const STREAM = '/generate_stream';
const CHAT_TOKENIZE = '/chat_tokenize';
let wm: WireMockServer;
let adapter: TgiAdapter;

beforeAll(async () => {
  wm = await startWireMock();
  adapter = new TgiAdapter({ baseUrl: wm.url });
}, 90_000);
afterAll(async () => {
  await wm?.stop();
});
beforeEach(async () => {
  await resetStubs(wm.mock);
});

function tok(index: number, id: number, text: string, special = false): object {
  return {
    index,
    token: { id, text, logprob: -0.25, special },
    generated_text: null,
    details: null,
    top_tokens: null,
  };
}
function last(
  index: number,
  id: number,
  text: string,
  generated: string,
  finish: 'length' | 'eos_token' | 'stop_sequence',
  n: number,
  special = false,
): object {
  return {
    index,
    token: { id, text, logprob: -0.1, special },
    generated_text: generated,
    details: { finish_reason: finish, generated_tokens: n, input_length: 6, seed: 42 },
    top_tokens: null,
  };
}
/** TGI writes `data:` with no space after the colon. */
const tgiSse = (events: object[]): string => sseBody(events, ':');
const normal = [
  tok(1, 7042, ' Paris'),
  tok(2, 13, '.'),
  last(3, 2, '</s>', ' Paris.', 'eos_token', 3, true),
];
/** A ChatML model's rendering of the default prompt as one user turn. */
const TEMPLATED = '<|im_start|>user\nThe capital of France is<|im_end|>\n<|im_start|>assistant\n';

async function bodies(path: string): Promise<Record<string, unknown>[]> {
  const reqs = (await wm.mock.getRequestsForAPI('POST', path)) as { request: { body: string } }[];
  return reqs.map((r) => JSON.parse(r.request.body) as Record<string, unknown>);
}

describe('ORCH-4014: TGI adapter against WireMock (/generate_stream)', () => {
  it('ORCH-3054: normal completion → token ids and texts, EOS not emitted, engine counts, request parameters', async () => {
    await stub(wm.mock, 'POST', STREAM, { body: ':\n\n' + tgiSse(normal) });
    const r = await collect(adapter);
    expect(r.texts).toEqual([' Paris', '.']);
    expect(r.tokenIds).toEqual([7042, 13]);
    expect(r.outcomes).toBe(1);
    expect(r.outcome).toMatchObject({ reason: 'stop', tokensOut: 3, tokensIn: 6 });
    const reqs = (await wm.mock.getRequestsForAPI('POST', STREAM)) as {
      request: { body: string };
    }[];
    expect(JSON.parse(reqs[0]?.request.body ?? '{}')).toMatchObject({
      inputs: 'The capital of France is',
      stream: true,
      parameters: {
        do_sample: true,
        seed: 42,
        max_new_tokens: 4,
        details: true,
        temperature: 0.8,
        top_k: 40,
        top_p: 0.95,
      },
    });
    await collect(adapter, { samplerProfile: 'greedy' });
    const greedy = (await wm.mock.getRequestsForAPI('POST', STREAM)) as {
      request: { body: string };
    }[];
    const params = (
      JSON.parse(greedy[0]?.request.body ?? '{}') as { parameters: Record<string, unknown> }
    ).parameters;
    expect(params).toMatchObject({ do_sample: false });
    expect(params).not.toHaveProperty('temperature');
  });

  it('ORCH-4014: stop by length → reason length', async () => {
    await stub(wm.mock, 'POST', STREAM, {
      body: tgiSse([
        tok(1, 5, ' a'),
        tok(2, 6, ' b'),
        tok(3, 7, ' c'),
        last(4, 8, ' d', ' a b c d', 'length', 4),
      ]),
    });
    const r = await collect(adapter);
    expect(r.texts).toEqual([' a', ' b', ' c', ' d']);
    expect(r.outcome).toMatchObject({ reason: 'length', tokensOut: 4 });
  });

  it('ORCH-2028: in-stream error events map by error_type', async () => {
    const cases = [
      ['generation', 'INTERNAL', false],
      ['overloaded', 'REPLICA_EXHAUSTED', true],
      ['incomplete_generation', 'WORKER_RESET', true],
      ['validation', 'INVALID_PARAMS', false],
    ] as const;
    for (const [type, code, retriable] of cases) {
      await stub(wm.mock, 'POST', STREAM, {
        body: tgiSse([
          tok(1, 7042, ' Paris'),
          { error: `scripted ${type} failure`, error_type: type },
        ]),
      });
      const r = await collect(adapter);
      expect(r.texts).toEqual([' Paris']);
      expect(r.outcome, type).toMatchObject({ reason: 'error', error: { code, retriable } });
    }
  });

  it('ORCH-3038: 503 unhealthy → health not ready; non-2xx answers map by status/error_type', async () => {
    await stub(wm.mock, 'GET', '/health', {
      status: 503,
      body: '{"error":"unhealthy","error_type":"healthcheck"}',
      contentType: 'application/json',
    });
    expect((await adapter.health()).ready).toBe(false);
    const answers = [
      [503, '{"error":"unhealthy","error_type":"healthcheck"}', 'WORKER_RESET'],
      [
        422,
        '{"error":"Input validation error: `inputs` must have less than 1024 tokens","error_type":"validation"}',
        'INVALID_PARAMS',
      ],
      [429, '{"error":"Model is overloaded","error_type":"overloaded"}', 'REPLICA_EXHAUSTED'],
      [424, '{"error":"Request failed during generation","error_type":"generation"}', 'INTERNAL'],
    ] as const;
    for (const [status, body, code] of answers) {
      await stub(wm.mock, 'POST', STREAM, { status, body, contentType: 'application/json' });
      expect((await collect(adapter)).outcome.error?.code, String(status)).toBe(code);
    }
  });

  it('ORCH-3016: slow first token (fixed delay) and a chunked dribble (events split across reads)', async () => {
    await stub(wm.mock, 'POST', STREAM, { body: tgiSse(normal), fixedDelayMs: 1200 });
    const slow = await collect(adapter);
    expect(slow.ms).toBeGreaterThanOrEqual(1100);
    expect(slow.outcome.reason).toBe('stop');
    await stub(wm.mock, 'POST', STREAM, {
      body: ':\n\n' + tgiSse(normal),
      dribble: { chunks: 29, ms: 600 },
    });
    const split = await collect(adapter);
    expect(split.texts).toEqual([' Paris', '.']);
    expect(split.outcome).toMatchObject({ reason: 'stop', tokensOut: 3 });
  });

  it('ORCH-2028: connection dropped mid-stream / reset / truncated body → WORKER_RESET', async () => {
    await stub(wm.mock, 'POST', STREAM, {
      body: tgiSse(normal),
      fault: 'MALFORMED_RESPONSE_CHUNK',
    });
    expect((await collect(adapter)).outcome.error).toMatchObject({
      code: 'WORKER_RESET',
      retriable: true,
    });
    await stub(wm.mock, 'POST', STREAM, { body: '', fault: 'CONNECTION_RESET_BY_PEER' });
    expect((await collect(adapter)).outcome.error?.code).toBe('WORKER_RESET');
    await stub(wm.mock, 'POST', STREAM, { body: tgiSse([tok(1, 7042, ' Paris')]) });
    const cut = await collect(adapter);
    expect(cut.texts).toEqual([' Paris']);
    expect(cut.outcome.error?.code).toBe('WORKER_RESET');
  });

  it('ORCH-4014: malformed chunk → INTERNAL error outcome', async () => {
    await stub(wm.mock, 'POST', STREAM, {
      body: tgiSse([tok(1, 7042, ' Paris')]) + 'data:{"index":2,"token":{"id":13,\n\n',
    });
    const r = await collect(adapter);
    expect(r.texts).toEqual([' Paris']);
    expect(r.outcome).toMatchObject({ reason: 'error', error: { code: 'INTERNAL' } });
  });

  it('ORCH-3054: identity from /info, load from tgi_* gauges, best-effort determinism', async () => {
    await stub(wm.mock, 'GET', '/info', {
      contentType: 'application/json',
      body: JSON.stringify({
        model_id: 'bigscience/bloom-560m',
        model_sha: 'e985a63cdc139290c5f700ff1929f0b5942cced2',
        model_dtype: 'torch.float16',
        model_device_type: 'cuda',
        max_concurrent_requests: 128,
        max_best_of: 2,
        max_stop_sequences: 4,
        max_input_tokens: 1024,
        max_total_tokens: 2048,
        validation_workers: 2,
        version: '3.3.7',
        sha: 'null',
      }),
    });
    await stub(wm.mock, 'GET', '/metrics', {
      contentType: 'text/plain',
      body: '# TYPE tgi_queue_size gauge\ntgi_queue_size 4\n# TYPE tgi_batch_current_size gauge\ntgi_batch_current_size 2\n',
    });
    await stub(wm.mock, 'GET', '/health', { body: '', contentType: 'text/plain' });
    expect(await adapter.health()).toEqual({ ready: true });
    expect(await adapter.identify()).toMatchObject({
      engine: 'tgi',
      engineVersion: '3.3.7-null',
      ctxMax: 2048,
    });
    expect(await adapter.load()).toMatchObject({
      running: 2,
      waiting: 4,
      slotsTotal: 128,
      kvUsageRatio: 0,
    });
    expect((await adapter.checkDeterminism()).compliant).toBe(false);
  });

  it('ORCH-4013: abort mid-stream → canceled outcome', async () => {
    const many = Array.from({ length: 40 }, (_, i) => tok(i + 1, 100 + i, ` t${i}`));
    await stub(wm.mock, 'POST', STREAM, {
      body: tgiSse([...many, last(41, 2, '</s>', 'x', 'eos_token', 41, true)]),
      dribble: { chunks: 40, ms: 2000 },
    });
    const r = await collect(adapter, { maxTokens: 64 }, (n, abort) => {
      if (n === 2) abort();
    });
    expect(r.outcome.reason).toBe('canceled');
    expect(r.texts.length).toBeLessThan(40);
  });
});

describe('ORCH-3102: TGI prompt_format chat renders through POST /chat_tokenize', () => {
  it("ORCH-3102: chat → /chat_tokenize renders one user turn with the model's template; /generate_stream decodes templated_text with the same parameters", async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', CHAT_TOKENIZE, {
      contentType: 'application/json',
      body: JSON.stringify({
        tokenize_response: [
          { id: 1, text: '<|im_start|>', start: 0, stop: 12 },
          { id: 4093, text: 'user', start: 12, stop: 16 },
        ],
        templated_text: TEMPLATED,
      }),
    });
    await stub(wm.mock, 'POST', STREAM, { body: tgiSse(normal) });
    const r = await collect(adapter, { promptFormat: 'chat' });
    expect(r.texts).toEqual([' Paris', '.']);
    expect(r.outcome).toMatchObject({ reason: 'stop', tokensOut: 3, tokensIn: 6 });
    expect(await bodies(CHAT_TOKENIZE)).toEqual([
      { messages: [{ role: 'user', content: 'The capital of France is' }] },
    ]);
    const decode = await bodies(STREAM);
    expect(decode).toHaveLength(1);
    expect(decode[0]).toMatchObject({
      inputs: TEMPLATED,
      stream: true,
      parameters: {
        do_sample: true,
        seed: 42,
        max_new_tokens: 4,
        details: true,
        temperature: 0.8,
        top_k: 40,
        top_p: 0.95,
      },
    });
  });

  it('ORCH-3105: an OpenAI conversation → /chat_tokenize gets every turn; sampling and stop reach /generate_stream (temperature 0 = greedy)', async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', CHAT_TOKENIZE, {
      contentType: 'application/json',
      body: JSON.stringify({ tokenize_response: [], templated_text: TEMPLATED }),
    });
    await stub(wm.mock, 'POST', STREAM, { body: tgiSse(normal) });
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Capital of France?' },
      { role: 'assistant' as const, content: 'Paris.' },
      { role: 'user' as const, content: 'And of Italy?' },
    ];
    await collect(adapter, { messages, sampling: { temperature: 0.3, topP: 1, stop: ['END'] } });
    expect(await bodies(CHAT_TOKENIZE)).toEqual([{ messages }]);
    const sampled = (await bodies(STREAM))[0] as { parameters: Record<string, unknown> };
    expect(sampled).toMatchObject({
      inputs: TEMPLATED,
      parameters: { do_sample: true, temperature: 0.3, top_k: 40, stop: ['END'], seed: 42 },
    });
    // TGI refuses top_p 1 (it must be < 1): left out rather than sent.
    expect(sampled.parameters).not.toHaveProperty('top_p');
    await wm.mock.clearAllRequests();
    await collect(adapter, { messages, sampling: { temperature: 0 } });
    const greedy = (await bodies(STREAM))[0] as { parameters: Record<string, unknown> };
    expect(greedy.parameters).toMatchObject({ do_sample: false });
    expect(greedy.parameters).not.toHaveProperty('temperature');
  });

  it('ORCH-3102: raw and absent send the prompt unchanged, with no /chat_tokenize call', async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', STREAM, { body: tgiSse(normal) });
    expect((await collect(adapter, { promptFormat: 'raw' })).outcome.reason).toBe('stop');
    expect((await collect(adapter)).outcome.reason).toBe('stop');
    expect(await bodies(CHAT_TOKENIZE)).toEqual([]);
    expect((await bodies(STREAM)).map((b) => b.inputs)).toEqual([
      'The capital of France is',
      'The capital of France is',
    ]);
  });

  it('ORCH-3102: /chat_tokenize 404, a template error, a malformed answer or a dead engine → coded `chat template:` error and no decode request', async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', STREAM, { body: tgiSse(normal) });
    // A TGI without the route answers axum's bare 404.
    await stub(wm.mock, 'POST', CHAT_TOKENIZE, {
      status: 404,
      body: '',
      contentType: 'text/plain',
    });
    const missing = await collect(adapter, { promptFormat: 'chat' });
    expect(missing.texts).toEqual([]);
    expect(missing.outcomes).toBe(1);
    expect(missing.outcome).toMatchObject({
      reason: 'error',
      error: { code: 'INTERNAL', retriable: false },
    });
    expect(missing.outcome.error?.message).toMatch(/^chat template: TGI error: HTTP 404/);
    await stub(wm.mock, 'POST', CHAT_TOKENIZE, {
      status: 422,
      contentType: 'application/json',
      body: '{"error":"Template error: template not found","error_type":"template_error"}',
    });
    expect((await collect(adapter, { promptFormat: 'chat' })).outcome.error).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^chat template: TGI template_error: Template error/),
    });
    await stub(wm.mock, 'POST', CHAT_TOKENIZE, {
      contentType: 'application/json',
      body: '{"tokenize_response":[]}',
    });
    expect((await collect(adapter, { promptFormat: 'chat' })).outcome.error).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^chat template: engine \/chat_tokenize answered without/),
    });
    const dead = new TgiAdapter({ baseUrl: 'http://127.0.0.1:1' });
    expect((await collect(dead, { promptFormat: 'chat' })).outcome.error).toMatchObject({
      code: 'WORKER_RESET',
      retriable: true,
      message: expect.stringMatching(/^chat template: engine connection failed/),
    });
    expect(await bodies(STREAM)).toEqual([]);
  });

  it('ORCH-4013: abort while /chat_tokenize renders → canceled, no decode request', async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', STREAM, { body: tgiSse(normal) });
    await stub(wm.mock, 'POST', CHAT_TOKENIZE, {
      contentType: 'application/json',
      body: JSON.stringify({ tokenize_response: [], templated_text: TEMPLATED }),
      fixedDelayMs: 2000,
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await collect(adapter, { promptFormat: 'chat', signal: ac.signal });
    expect(r.outcome.reason).toBe('canceled');
    expect(r.ms).toBeLessThan(1500);
    expect(await bodies(STREAM)).toEqual([]);
  });
});
