// vLLM adapter contract suite against a real WireMock serving vLLM's documented wire format.
// Stub bodies are built here from the docs, never captured:
// - Completions stream (chunks `text_completion`, `finish_reason`, `stream_options.include_usage`
//   → an extra chunk with `choices: []` and `usage` before `data: [DONE]`):
//   https://platform.openai.com/docs/api-reference/completions/create and
//   https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html
// - In-stream errors (`data: {"error": {...}}` then `[DONE]`) and /health 503 on a dead engine:
//   https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html (API reference)
// - Metrics names (vllm:num_requests_running / _waiting, vllm:kv_cache_usage_perc):
//   https://docs.vllm.ai/en/latest/usage/metrics.html
// - Batch invariance: https://docs.vllm.ai/en/latest/features/batch_invariance.html
// - Chat template (ORCH-3102): POST /tokenize with a TokenizeChatRequest {model, messages,
//   add_generation_prompt, add_special_tokens} → TokenizeResponse {count, max_model_len, tokens,
//   token_strs}; /v1/completions takes `prompt` as a list of token ids (CompletionRequest):
//   vllm-project/vllm vllm/entrypoints/serve/tokenize/protocol.py and api_router.py,
//   vllm/entrypoints/openai/completion/protocol.py. The ids below use Qwen2's special tokens
//   (<|im_start|> 151644, <|im_end|> 151645, \n 198); the word ids are illustrative.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  resetStubs,
  sseBody,
  startWireMock,
  stub,
  type WireMockServer,
} from '@llama-orch/test-harness/wiremock';
import { collect } from '../../../test/support/collect-generation.js';
import { VllmAdapter } from './adapter.js';

const MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';
const COMPLETIONS = '/v1/completions';
const TOKENIZE = '/tokenize';
let wm: WireMockServer;
let adapter: VllmAdapter;

beforeAll(async () => {
  wm = await startWireMock();
  adapter = new VllmAdapter({ baseUrl: wm.url, model: MODEL });
}, 90_000);
afterAll(async () => {
  await wm?.stop();
});
beforeEach(async () => {
  await resetStubs(wm.mock);
});

const created = 1_732_000_000;
function chunk(text: string, finish: string | null = null): object {
  return {
    id: 'cmpl-5f1c',
    object: 'text_completion',
    created,
    model: MODEL,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null }],
    usage: null,
  };
}
function usageChunk(prompt: number, completion: number): object {
  return {
    id: 'cmpl-5f1c',
    object: 'text_completion',
    created,
    model: MODEL,
    choices: [],
    usage: {
      prompt_tokens: prompt,
      total_tokens: prompt + completion,
      completion_tokens: completion,
    },
  };
}
const normal = [
  chunk(' Paris'),
  chunk('.'),
  chunk(' It'),
  chunk('', 'stop'),
  usageChunk(5, 3),
  '[DONE]',
];
/** `<|im_start|>user\nThe capital of France is<|im_end|>\n<|im_start|>assistant\n` */
const CHAT_IDS = [151644, 872, 198, 785, 6722, 315, 9625, 374, 151645, 198, 151644, 77091, 198];

async function bodies(path: string): Promise<Record<string, unknown>[]> {
  const reqs = (await wm.mock.getRequestsForAPI('POST', path)) as { request: { body: string } }[];
  return reqs.map((r) => JSON.parse(r.request.body) as Record<string, unknown>);
}

describe('ORCH-4014: vLLM adapter against WireMock (OpenAI-compatible completions)', () => {
  it('ORCH-3054: normal completion → tokens, stop, engine usage counts; request carries include_usage and seed', async () => {
    await stub(wm.mock, 'POST', COMPLETIONS, { body: ': ping\n\n' + sseBody(normal) });
    const r = await collect(adapter);
    expect(r.texts).toEqual([' Paris', '.', ' It']);
    expect(r.outcomes).toBe(1);
    expect(r.outcome).toMatchObject({ reason: 'stop', tokensIn: 5, tokensOut: 3 });
    const reqs = (await wm.mock.getRequestsForAPI('POST', COMPLETIONS)) as {
      request: { body: string };
    }[];
    const body = JSON.parse(reqs[0]?.request.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({
      model: MODEL,
      prompt: 'The capital of France is',
      max_tokens: 4,
      seed: 42,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.8,
      top_p: 0.95,
      top_k: 40,
    });
  });

  it('ORCH-4014: stop by length, usage on the finish chunk and no [DONE] → reason length', async () => {
    const finish = {
      ...chunk('', 'length'),
      usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
    };
    await stub(wm.mock, 'POST', COMPLETIONS, {
      body: sseBody([chunk(' a'), chunk(' b'), chunk(' c'), chunk(' d'), finish]),
    });
    const r = await collect(adapter);
    expect(r.texts).toHaveLength(4);
    expect(r.outcome).toMatchObject({ reason: 'length', tokensOut: 4, tokensIn: 5 });
  });

  it('ORCH-2028: mid-stream error object → coded error after the tokens already sent', async () => {
    const err = {
      error: {
        message: 'CUDA error: an illegal memory access',
        type: 'InternalServerError',
        param: null,
        code: 500,
      },
    };
    await stub(wm.mock, 'POST', COMPLETIONS, { body: sseBody([chunk(' Paris'), err, '[DONE]']) });
    const r = await collect(adapter);
    expect(r.texts).toEqual([' Paris']);
    expect(r.outcome).toMatchObject({
      reason: 'error',
      error: { code: 'INTERNAL', retriable: false },
    });
    expect(r.outcome.error?.message).toContain('illegal memory access');
    // The older flat shape {"object":"error",...,"code":400} maps by its code.
    const flat = {
      object: 'error',
      message: 'max_tokens too large',
      type: 'BadRequestError',
      param: null,
      code: 400,
    };
    await stub(wm.mock, 'POST', COMPLETIONS, { body: sseBody([flat, '[DONE]']) });
    expect((await collect(adapter)).outcome.error?.code).toBe('INVALID_PARAMS');
  });

  it('ORCH-3038: 503 while loading / dead engine → health not ready; a request → WORKER_RESET (retriable)', async () => {
    const body = JSON.stringify({
      error: { message: 'EngineDeadError', type: 'ServiceUnavailableError', code: 503 },
    });
    await stub(wm.mock, 'GET', '/health', { status: 503, body, contentType: 'application/json' });
    await stub(wm.mock, 'POST', COMPLETIONS, {
      status: 503,
      body,
      contentType: 'application/json',
    });
    const h = await adapter.health();
    expect(h.ready).toBe(false);
    expect(h.reason).toContain('503');
    const r = await collect(adapter);
    expect(r.outcome).toMatchObject({
      reason: 'error',
      error: { code: 'WORKER_RESET', retriable: true },
    });
    await stub(wm.mock, 'POST', COMPLETIONS, {
      status: 400,
      body: '{"error":{"message":"bad","code":400}}',
    });
    expect((await collect(adapter)).outcome.error?.code).toBe('INVALID_PARAMS');
    await stub(wm.mock, 'POST', COMPLETIONS, {
      status: 429,
      body: '{"error":{"message":"busy","code":429}}',
    });
    expect((await collect(adapter)).outcome.error).toMatchObject({
      code: 'REPLICA_EXHAUSTED',
      retriable: true,
    });
  });

  it('ORCH-3016: slow first token (fixed delay) and a chunked dribble (events split across reads)', async () => {
    await stub(wm.mock, 'POST', COMPLETIONS, { body: sseBody(normal), fixedDelayMs: 1200 });
    const slow = await collect(adapter);
    expect(slow.ms).toBeGreaterThanOrEqual(1100);
    expect(slow.outcome).toMatchObject({ reason: 'stop', tokensOut: 3 });
    await stub(wm.mock, 'POST', COMPLETIONS, {
      body: ': ping\n\n' + sseBody(normal),
      dribble: { chunks: 23, ms: 600 },
    });
    const split = await collect(adapter);
    expect(split.texts).toEqual([' Paris', '.', ' It']);
    expect(split.outcome).toMatchObject({ reason: 'stop', tokensIn: 5, tokensOut: 3 });
  });

  it('ORCH-2028: connection dropped mid-stream / reset / truncated body → WORKER_RESET', async () => {
    await stub(wm.mock, 'POST', COMPLETIONS, {
      body: sseBody(normal),
      fault: 'MALFORMED_RESPONSE_CHUNK',
    });
    expect((await collect(adapter)).outcome.error).toMatchObject({
      code: 'WORKER_RESET',
      retriable: true,
    });
    await stub(wm.mock, 'POST', COMPLETIONS, { body: '', fault: 'CONNECTION_RESET_BY_PEER' });
    expect((await collect(adapter)).outcome.error?.code).toBe('WORKER_RESET');
    await stub(wm.mock, 'POST', COMPLETIONS, { body: sseBody([chunk(' Paris'), chunk('.')]) });
    const cut = await collect(adapter);
    expect(cut.texts).toEqual([' Paris', '.']);
    expect(cut.outcome.error?.code).toBe('WORKER_RESET');
  });

  it('ORCH-4014: malformed chunk → INTERNAL error outcome, never a silent close', async () => {
    await stub(wm.mock, 'POST', COMPLETIONS, {
      body:
        sseBody([chunk(' Paris')]) +
        'data: {"id":"cmpl-5f1c","choices":[{"text":\n\n' +
        sseBody(['[DONE]']),
    });
    const r = await collect(adapter);
    expect(r.texts).toEqual([' Paris']);
    expect(r.outcome).toMatchObject({ reason: 'error', error: { code: 'INTERNAL' } });
  });

  it('ORCH-3054: identity from /version + /v1/models, load from vllm:* gauges, determinism only when declared', async () => {
    await stub(wm.mock, 'GET', '/version', {
      body: '{"version":"0.11.0"}',
      contentType: 'application/json',
    });
    await stub(wm.mock, 'GET', '/v1/models', {
      body: JSON.stringify({
        object: 'list',
        data: [{ id: MODEL, object: 'model', owned_by: 'vllm', max_model_len: 32768 }],
      }),
      contentType: 'application/json',
    });
    const labels = `engine="0",model_name="${MODEL}"`;
    await stub(wm.mock, 'GET', '/metrics', {
      contentType: 'text/plain; version=0.0.4',
      body: [
        '# HELP vllm:num_requests_running Number of requests in model execution batches.',
        '# TYPE vllm:num_requests_running gauge',
        `vllm:num_requests_running{${labels}} 3.0`,
        '# TYPE vllm:num_requests_waiting gauge',
        `vllm:num_requests_waiting{${labels}} 2.0`,
        '# TYPE vllm:kv_cache_usage_perc gauge',
        `vllm:kv_cache_usage_perc{${labels}} 0.25`,
        '',
      ].join('\n'),
    });
    await stub(wm.mock, 'GET', '/health', { body: '', contentType: 'text/plain' });
    expect(await adapter.health()).toEqual({ ready: true });
    expect(await adapter.identify()).toMatchObject({
      engine: 'vllm',
      engineVersion: '0.11.0',
      modelPath: MODEL,
      ctxMax: 32768,
    });
    expect(await adapter.load()).toMatchObject({
      running: 3,
      waiting: 2,
      kvUsageRatio: 0.25,
      slotsBusy: 1,
    });
    expect((await adapter.checkDeterminism()).compliant).toBe(false);
    const declared = new VllmAdapter({ baseUrl: wm.url, declared: ['batch_invariant'] });
    expect((await declared.checkDeterminism()).compliant).toBe(true);
    // Without a configured model the first served one is used.
    await stub(wm.mock, 'POST', COMPLETIONS, { body: sseBody(normal) });
    expect((await collect(declared)).outcome.reason).toBe('stop');
  });

  it('ORCH-4013: abort mid-stream → canceled outcome', async () => {
    const many = Array.from({ length: 40 }, (_, i) => chunk(` t${i}`));
    await stub(wm.mock, 'POST', COMPLETIONS, {
      body: sseBody([...many, chunk('', 'length'), usageChunk(5, 40), '[DONE]']),
      dribble: { chunks: 40, ms: 2000 },
    });
    const r = await collect(adapter, { maxTokens: 40 }, (n, abort) => {
      if (n === 2) abort();
    });
    expect(r.outcome.reason).toBe('canceled');
    expect(r.texts.length).toBeLessThan(40);
  });
});

describe('ORCH-3102: vLLM prompt_format chat renders through POST /tokenize', () => {
  it("ORCH-3102: chat → /tokenize renders one user turn with the model's template; /v1/completions decodes those token ids with the same sampler fields", async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', TOKENIZE, {
      contentType: 'application/json',
      body: JSON.stringify({
        count: CHAT_IDS.length,
        max_model_len: 32768,
        tokens: CHAT_IDS,
        token_strs: null,
      }),
    });
    await stub(wm.mock, 'POST', COMPLETIONS, { body: sseBody(normal) });
    const r = await collect(adapter, { promptFormat: 'chat' });
    expect(r.texts).toEqual([' Paris', '.', ' It']);
    expect(r.outcome).toMatchObject({ reason: 'stop', tokensIn: 5, tokensOut: 3 });
    expect(await bodies(TOKENIZE)).toEqual([
      {
        model: MODEL,
        messages: [{ role: 'user', content: 'The capital of France is' }],
        add_generation_prompt: true,
        add_special_tokens: false,
      },
    ]);
    const decode = await bodies(COMPLETIONS);
    expect(decode).toHaveLength(1);
    expect(decode[0]).toMatchObject({
      model: MODEL,
      prompt: CHAT_IDS,
      max_tokens: 4,
      seed: 42,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.8,
      top_p: 0.95,
      top_k: 40,
    });
  });

  it('ORCH-3105: an OpenAI conversation → /tokenize gets every turn; temperature, top_p and stop override the profile', async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', TOKENIZE, {
      contentType: 'application/json',
      body: JSON.stringify({ count: 3, max_model_len: 32768, tokens: CHAT_IDS, token_strs: null }),
    });
    await stub(wm.mock, 'POST', COMPLETIONS, { body: sseBody(normal) });
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Capital of France?' },
      { role: 'assistant' as const, content: 'Paris.' },
      { role: 'user' as const, content: 'And of Italy?' },
    ];
    const r = await collect(adapter, {
      messages,
      sampling: { temperature: 0, topP: 0.5, stop: ['\n', 'END'] },
    });
    expect(r.outcome).toMatchObject({ reason: 'stop' });
    expect((await bodies(TOKENIZE))[0]).toMatchObject({ messages, add_generation_prompt: true });
    expect((await bodies(COMPLETIONS))[0]).toMatchObject({
      prompt: CHAT_IDS,
      seed: 42,
      temperature: 0,
      top_p: 0.5,
      top_k: 40,
      stop: ['\n', 'END'],
    });
  });

  it('ORCH-3102: raw and absent send the text prompt unchanged, with no /tokenize call', async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', COMPLETIONS, { body: sseBody(normal) });
    expect((await collect(adapter, { promptFormat: 'raw' })).outcome.reason).toBe('stop');
    expect((await collect(adapter)).outcome.reason).toBe('stop');
    expect(await bodies(TOKENIZE)).toEqual([]);
    const decode = await bodies(COMPLETIONS);
    expect(decode.map((b) => b.prompt)).toEqual([
      'The capital of France is',
      'The capital of France is',
    ]);
  });

  it('ORCH-3102: /tokenize 404, a malformed answer or a dead engine → coded `chat template:` error and no decode request', async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', COMPLETIONS, { body: sseBody(normal) });
    await stub(wm.mock, 'POST', TOKENIZE, {
      status: 404,
      contentType: 'application/json',
      body: '{"detail":"Not Found"}',
    });
    const missing = await collect(adapter, { promptFormat: 'chat' });
    expect(missing.texts).toEqual([]);
    expect(missing.outcomes).toBe(1);
    expect(missing.outcome).toMatchObject({
      reason: 'error',
      error: { code: 'INTERNAL', retriable: false },
    });
    expect(missing.outcome.error?.message).toMatch(/^chat template: engine error 404/);
    await stub(wm.mock, 'POST', TOKENIZE, {
      status: 400,
      contentType: 'application/json',
      body: '{"error":{"message":"chat template is not set","type":"BadRequestError","code":400}}',
    });
    expect((await collect(adapter, { promptFormat: 'chat' })).outcome.error).toMatchObject({
      code: 'INVALID_PARAMS',
      message: expect.stringMatching(/^chat template: .*chat template is not set/),
    });
    await stub(wm.mock, 'POST', TOKENIZE, {
      contentType: 'application/json',
      body: '{"count":0,"max_model_len":32768,"tokens":[]}',
    });
    expect((await collect(adapter, { promptFormat: 'chat' })).outcome.error).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^chat template: engine \/tokenize answered without/),
    });
    const dead = new VllmAdapter({ baseUrl: 'http://127.0.0.1:1', model: MODEL });
    expect((await collect(dead, { promptFormat: 'chat' })).outcome.error).toMatchObject({
      code: 'WORKER_RESET',
      retriable: true,
      message: expect.stringMatching(/^chat template: engine connection failed/),
    });
    expect(await bodies(COMPLETIONS)).toEqual([]);
  });

  it('ORCH-4013: abort while /tokenize renders → canceled, no decode request', async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', COMPLETIONS, { body: sseBody(normal) });
    await stub(wm.mock, 'POST', TOKENIZE, {
      contentType: 'application/json',
      body: JSON.stringify({ count: 1, max_model_len: 32768, tokens: [1] }),
      fixedDelayMs: 2000,
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await collect(adapter, { promptFormat: 'chat', signal: ac.signal });
    expect(r.outcome.reason).toBe('canceled');
    expect(r.ms).toBeLessThan(1500);
    expect(await bodies(COMPLETIONS)).toEqual([]);
  });
});
