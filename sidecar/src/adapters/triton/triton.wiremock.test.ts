// Triton (TensorRT-LLM) adapter contract suite against a real WireMock serving Triton's documented
// wire format. Stub bodies are built here from the docs, never captured:
// - Generate extension (POST v2/models/{m}/generate_stream, SSE `data: {model_name,
//   model_version, text_output, ...}`, errors as `{"error": ...}` inside the 200 stream):
//   https://github.com/triton-inference-server/server/blob/main/docs/protocol/extension_generate.md
// - Classic `inflight_batcher_llm` ensemble inputs (text_input, max_tokens, stream, temperature,
//   top_k, top_p, seed / random_seed): https://github.com/triton-inference-server/tensorrtllm_backend
//   (docs/model_config.md); LLM-API model inputs (sampling_param_*, streaming,
//   return_finish_reason; outputs text_output, finish_reason):
//   https://github.com/triton-inference-server/tensorrtllm_backend/blob/main/docs/llmapi.md
// - Health, model metadata and server metadata (GET /v2/health/ready, /v2/models/{m}/ready,
//   /v2/models/{m}, /v2): https://github.com/kserve/open-inference-protocol (REST spec)
// - Metrics (nv_trt_llm_request_metrics, nv_trt_llm_kv_cache_block_metrics,
//   nv_inference_pending_request_count):
//   https://github.com/triton-inference-server/server/blob/main/docs/user_guide/metrics.md
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  resetStubs,
  sseBody,
  startWireMock,
  stub,
  type WireMockServer,
} from '@llama-orch/test-harness/wiremock';
import { collect } from '../../../test/support/collect-generation.js';
import { TritonAdapter } from './adapter.js';

let wm: WireMockServer;
let classic: TritonAdapter;
let llmapi: TritonAdapter;
const CLASSIC = '/v2/models/ensemble/generate_stream';
const LLMAPI = '/v2/models/tensorrt_llm/generate_stream';

const input = (name: string, datatype = 'INT32'): object => ({ name, datatype, shape: [-1, 1] });
const classicMeta = {
  name: 'ensemble',
  versions: ['1'],
  platform: 'ensemble',
  inputs: [
    input('text_input', 'BYTES'),
    input('max_tokens'),
    input('bad_words', 'BYTES'),
    input('stop_words', 'BYTES'),
    input('stream', 'BOOL'),
    input('temperature', 'FP32'),
    input('top_k'),
    input('top_p', 'FP32'),
    input('random_seed', 'UINT64'),
  ],
  outputs: [{ name: 'text_output', datatype: 'BYTES', shape: [-1] }],
};
const llmapiMeta = {
  name: 'tensorrt_llm',
  versions: ['1'],
  platform: 'python',
  inputs: [
    input('text_input', 'BYTES'),
    input('streaming', 'BOOL'),
    input('sampling_param_max_tokens'),
    input('sampling_param_temperature', 'FP32'),
    input('sampling_param_top_k'),
    input('sampling_param_top_p', 'FP32'),
    input('sampling_param_seed', 'UINT64'),
    input('return_finish_reason', 'BOOL'),
  ],
  outputs: [
    { name: 'text_output', datatype: 'BYTES', shape: [-1] },
    { name: 'finish_reason', datatype: 'BYTES', shape: [-1] },
  ],
};

beforeAll(async () => {
  wm = await startWireMock();
  classic = new TritonAdapter({ baseUrl: wm.url, metricsUrl: `${wm.url}/metrics` });
  llmapi = new TritonAdapter({ baseUrl: wm.url, model: 'tensorrt_llm' });
}, 90_000);
afterAll(async () => {
  await wm?.stop();
});
beforeEach(async () => {
  await resetStubs(wm.mock);
  const json = 'application/json';
  await stub(wm.mock, 'GET', '/v2/models/ensemble', {
    body: JSON.stringify(classicMeta),
    contentType: json,
  });
  await stub(wm.mock, 'GET', '/v2/models/tensorrt_llm', {
    body: JSON.stringify(llmapiMeta),
    contentType: json,
  });
});

function out(model: string, text: string, extra: Record<string, unknown> = {}): object {
  return {
    model_name: model,
    model_version: '1',
    sequence_end: false,
    sequence_id: 0,
    sequence_start: false,
    text_output: text,
    ...extra,
  };
}
const classicNormal = [out('ensemble', ' Paris'), out('ensemble', '.'), out('ensemble', ' It')];
const bodyOf = async (path: string): Promise<Record<string, unknown>> => {
  const reqs = (await wm.mock.getRequestsForAPI('POST', path)) as { request: { body: string } }[];
  return JSON.parse(reqs[0]?.request.body ?? '{}') as Record<string, unknown>;
};

describe('ORCH-4014: Triton adapter against WireMock (generate extension, both dialects)', () => {
  it('ORCH-3054: classic ensemble: clean end of stream completes; seed field from model metadata', async () => {
    await stub(wm.mock, 'POST', CLASSIC, { body: sseBody(classicNormal) });
    const r = await collect(classic, { maxTokens: 8 });
    expect(r.texts).toEqual([' Paris', '.', ' It']);
    expect(r.outcomes).toBe(1);
    expect(r.outcome).toMatchObject({ reason: 'stop', tokensOut: 3 });
    const body = await bodyOf(CLASSIC);
    expect(body).toMatchObject({
      text_input: 'The capital of France is',
      max_tokens: 8,
      stream: true,
      random_seed: 42,
      temperature: 0.8,
      top_k: 40,
    });
    expect(body).not.toHaveProperty('seed');
  });

  it('ORCH-3054: LLM-API model: sampling_param_* body, finish_reason (scalar or array) ends the stream', async () => {
    await stub(wm.mock, 'POST', LLMAPI, {
      body: sseBody([
        out('tensorrt_llm', ' Paris'),
        out('tensorrt_llm', '.', { finish_reason: 'stop' }),
      ]),
    });
    const r = await collect(llmapi, { maxTokens: 8 });
    expect(r.texts).toEqual([' Paris', '.']);
    expect(r.outcome).toMatchObject({ reason: 'stop', tokensOut: 2 });
    expect(await bodyOf(LLMAPI)).toMatchObject({
      text_input: 'The capital of France is',
      streaming: true,
      sampling_param_max_tokens: 8,
      sampling_param_seed: 42,
      return_finish_reason: true,
    });
  });

  it('ORCH-3105: OpenAI temperature, top_p and stop reach both dialects; a conversation is refused (no chat template)', async () => {
    await wm.mock.clearAllRequests();
    await stub(wm.mock, 'POST', CLASSIC, { body: sseBody(classicNormal) });
    await collect(classic, {
      maxTokens: 8,
      sampling: { temperature: 0.2, topP: 0.7, stop: ['\n', 'END'] },
    });
    expect(await bodyOf(CLASSIC)).toMatchObject({
      temperature: 0.2,
      top_p: 0.7,
      top_k: 40,
      stop_words: '\n,END',
    });
    await stub(wm.mock, 'POST', LLMAPI, {
      body: sseBody([out('tensorrt_llm', '.', { finish_reason: 'stop' })]),
    });
    await collect(llmapi, { maxTokens: 8, sampling: { temperature: 0.2, stop: ['END'] } });
    expect(await bodyOf(LLMAPI)).toMatchObject({
      sampling_param_temperature: 0.2,
      sampling_param_stop: ['END'],
    });
    await wm.mock.clearAllRequests();
    const refused = await collect(classic, { messages: [{ role: 'user', content: 'hi' }] });
    expect(refused.outcome).toMatchObject({ reason: 'error', error: { code: 'INVALID_PARAMS' } });
    expect(refused.outcome.error?.message).toMatch(/^chat template: triton serves raw prompts/);
    expect(await wm.mock.getRequestsForAPI('POST', CLASSIC)).toHaveLength(0);
  });

  it('ORCH-4014: stop by length in both dialects', async () => {
    await stub(wm.mock, 'POST', CLASSIC, {
      body: sseBody([...classicNormal, out('ensemble', ' is')]),
    });
    expect((await collect(classic, { maxTokens: 4 })).outcome).toMatchObject({
      reason: 'length',
      tokensOut: 4,
    });
    await stub(wm.mock, 'POST', LLMAPI, {
      body: sseBody([
        out('tensorrt_llm', ' a'),
        out('tensorrt_llm', ' b', { finish_reason: ['length'] }),
      ]),
    });
    expect((await collect(llmapi, { maxTokens: 2 })).outcome).toMatchObject({
      reason: 'length',
      tokensOut: 2,
    });
  });

  it('ORCH-2028: an error inside the 200 stream → coded error after the tokens already sent', async () => {
    await stub(wm.mock, 'POST', CLASSIC, {
      body: sseBody([
        out('ensemble', ' Paris'),
        { error: 'Encountered an error in forward function: CUDA out of memory' },
      ]),
    });
    const r = await collect(classic);
    expect(r.texts).toEqual([' Paris']);
    expect(r.outcome).toMatchObject({
      reason: 'error',
      error: { code: 'INTERNAL', retriable: false },
    });
    await stub(wm.mock, 'POST', CLASSIC, {
      body: sseBody([{ error: "unexpected inference input 'seed' for model 'ensemble'" }]),
    });
    expect((await collect(classic)).outcome.error?.code).toBe('INVALID_PARAMS');
  });

  it('ORCH-3038: 503 while loading → not ready; generate → WORKER_RESET; 400 → INVALID_PARAMS', async () => {
    await stub(wm.mock, 'GET', '/v2/health/ready', {
      status: 503,
      body: '',
      contentType: 'text/plain',
    });
    expect((await classic.health()).ready).toBe(false);
    await stub(wm.mock, 'GET', '/v2/health/ready', { body: '', contentType: 'text/plain' }, 1);
    await stub(wm.mock, 'GET', '/v2/models/ensemble/ready', {
      status: 503,
      body: '',
      contentType: 'text/plain',
    });
    const h = await classic.health();
    expect(h.ready).toBe(false);
    expect(h.reason).toContain('ensemble');
    await stub(wm.mock, 'POST', CLASSIC, {
      status: 503,
      body: '{"error":"model \'ensemble\' is not ready"}',
      contentType: 'application/json',
    });
    expect((await collect(classic)).outcome.error).toMatchObject({
      code: 'WORKER_RESET',
      retriable: true,
    });
    await stub(wm.mock, 'POST', CLASSIC, {
      status: 400,
      body: '{"error":"invalid max_tokens"}',
      contentType: 'application/json',
    });
    expect((await collect(classic)).outcome.error?.code).toBe('INVALID_PARAMS');
  });

  it('ORCH-3016: slow first token (fixed delay) and a chunked dribble (events split across reads)', async () => {
    await stub(wm.mock, 'POST', CLASSIC, { body: sseBody(classicNormal), fixedDelayMs: 1200 });
    const slow = await collect(classic, { maxTokens: 8 });
    expect(slow.ms).toBeGreaterThanOrEqual(1100);
    expect(slow.outcome.reason).toBe('stop');
    await stub(wm.mock, 'POST', CLASSIC, {
      body: sseBody(classicNormal),
      dribble: { chunks: 31, ms: 600 },
    });
    const split = await collect(classic, { maxTokens: 8 });
    expect(split.texts).toEqual([' Paris', '.', ' It']);
  });

  it('ORCH-2028: connection dropped mid-stream / reset → WORKER_RESET; LLM-API stream without finish_reason → WORKER_RESET', async () => {
    await stub(wm.mock, 'POST', CLASSIC, {
      body: sseBody(classicNormal),
      fault: 'MALFORMED_RESPONSE_CHUNK',
    });
    expect((await collect(classic)).outcome.error).toMatchObject({
      code: 'WORKER_RESET',
      retriable: true,
    });
    await stub(wm.mock, 'POST', CLASSIC, { body: '', fault: 'CONNECTION_RESET_BY_PEER' });
    expect((await collect(classic)).outcome.error?.code).toBe('WORKER_RESET');
    await stub(wm.mock, 'POST', LLMAPI, { body: sseBody([out('tensorrt_llm', ' Paris')]) });
    const cut = await collect(llmapi);
    expect(cut.texts).toEqual([' Paris']);
    expect(cut.outcome.error?.code).toBe('WORKER_RESET');
  });

  it('ORCH-4014: malformed chunk → INTERNAL error outcome', async () => {
    await stub(wm.mock, 'POST', CLASSIC, {
      body:
        sseBody([out('ensemble', ' Paris')]) + 'data: {"model_name":"ensemble","text_output":\n\n',
    });
    const r = await collect(classic);
    expect(r.texts).toEqual([' Paris']);
    expect(r.outcome).toMatchObject({ reason: 'error', error: { code: 'INTERNAL' } });
  });

  it('ORCH-3054: version from GET /v2, readiness, load from nv_trt_llm_* / nv_inference_*', async () => {
    await stub(wm.mock, 'GET', '/v2', {
      contentType: 'application/json',
      body: JSON.stringify({
        name: 'triton',
        version: '2.59.0',
        extensions: [
          'classification',
          'sequence',
          'model_repository',
          'schedule_policy',
          'model_configuration',
          'system_shared_memory',
          'cuda_shared_memory',
          'binary_tensor_data',
          'parameters',
          'statistics',
          'trace',
          'logging',
          'generate',
        ],
      }),
    });
    await stub(wm.mock, 'GET', '/v2/health/ready', { body: '', contentType: 'text/plain' });
    await stub(wm.mock, 'GET', '/v2/models/ensemble/ready', {
      body: '',
      contentType: 'text/plain',
    });
    const m = 'model="tensorrt_llm",version="1"';
    await stub(wm.mock, 'GET', '/metrics', {
      contentType: 'text/plain',
      body: [
        '# TYPE nv_trt_llm_request_metrics gauge',
        `nv_trt_llm_request_metrics{${m},request_type="waiting"} 5`,
        `nv_trt_llm_request_metrics{${m},request_type="scheduled"} 3`,
        `nv_trt_llm_request_metrics{${m},request_type="max"} 64`,
        `nv_trt_llm_request_metrics{${m},request_type="active"} 3`,
        '# TYPE nv_trt_llm_kv_cache_block_metrics gauge',
        `nv_trt_llm_kv_cache_block_metrics{${m},kv_cache_block_type="fraction"} 0.5`,
        `nv_trt_llm_kv_cache_block_metrics{${m},kv_cache_block_type="used"} 512`,
        '# TYPE nv_inference_pending_request_count gauge',
        'nv_inference_pending_request_count{model="ensemble",version="1"} 7',
        '',
      ].join('\n'),
    });
    expect(await classic.health()).toEqual({ ready: true });
    expect(await classic.identify()).toMatchObject({
      engine: 'triton',
      engineVersion: '2.59.0',
      modelPath: 'ensemble/1',
    });
    expect(await classic.load()).toMatchObject({
      running: 3,
      waiting: 5,
      slotsTotal: 64,
      slotsBusy: 3,
      kvUsageRatio: 0.5,
    });
  });

  it('ORCH-4013: abort mid-stream → canceled; the LLM-API model also gets a stop for the request id', async () => {
    const many = Array.from({ length: 40 }, (_, i) => out('tensorrt_llm', ` t${i}`));
    await stub(wm.mock, 'POST', LLMAPI, { body: sseBody(many), dribble: { chunks: 40, ms: 2000 } });
    await stub(wm.mock, 'POST', '/v2/models/tensorrt_llm/generate', {
      body: '{}',
      contentType: 'application/json',
    });
    const r = await collect(llmapi, { maxTokens: 64 }, (n, abort) => {
      if (n === 2) abort();
    });
    expect(r.outcome.reason).toBe('canceled');
    const id = (await bodyOf(LLMAPI)).id;
    const deadline = Date.now() + 3000;
    let stop: Record<string, unknown> = {};
    while (Date.now() < deadline && stop.stop !== true) {
      stop = await bodyOf('/v2/models/tensorrt_llm/generate');
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(stop).toMatchObject({ id, stop: true });
  });
});
