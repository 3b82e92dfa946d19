// ORCH-3103..3107: the official `openai` SDKs (npm and Python), unchanged, pointed at Envoy with a
// base URL and an API key: chat and completions, streaming and not, stop sequences, seeds
// reproduced across two replicas, usage equal to the streamed chunks, abort mid-stream (engine slot
// idle within 1 s, no further decode, read from llama-server's own /metrics), and typed errors.
// Real Envoy, placement, two sidecars and two llama-servers with the real model: the CI-only CPU
// carve-out (ORCH-1101).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSchema } from '@llama-orch/contracts';
import { resolveSeed } from '@llama-orch/core';
import { recordTestKeys } from '@llama-orch/tools';
import { pythonOpenAi, runPythonSdk } from '../src/openai/python-sdk.js';
import type { Stack } from '../src/stack/index.js';
import { startStack } from '../src/stack/index.js';
import { scrape, total } from './helpers/metrics.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const KEY = 'orch-openai-e2e-main';
const TINY_KEY = 'orch-openai-e2e-tiny';
const CARVE = '[CPU carve-out ORCH-1101, real llama-server]';
const MESSAGES = [
  { role: 'system' as const, content: 'You answer in one short sentence.' },
  { role: 'user' as const, content: 'Name a colour.' },
];

describe(`ORCH-3103: OpenAI SDKs through Envoy ${CARVE}`, () => {
  let stack: Stack;
  let client: OpenAI;
  let model: string;

  beforeAll(async () => {
    stack = await startStack({
      replicas: 2,
      tweak: (c, { apiKeyHmac }) => {
        c.tenants = [
          { id: 'main', api_key_hmac: [apiKeyHmac(KEY)], weight: 1, operator: false, quotas: {} },
          // 8 tokens a minute: any request with max_tokens 64 is over quota at admission.
          {
            id: 'tiny',
            api_key_hmac: [apiKeyHmac(TINY_KEY)],
            weight: 1,
            operator: false,
            quotas: { tokens_per_minute: 8 },
          },
        ];
      },
    });
    model = stack.model.ref;
    client = new OpenAI({
      baseURL: `${stack.url}/v1`,
      apiKey: KEY,
      maxRetries: 0,
      timeout: 120_000,
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
  }, 60_000);

  const engineMetrics = async (replica: string): Promise<Map<string, number>> => {
    const index = [0, 1].find((i) => stack.replicaId(i) === replica);
    if (index === undefined) throw new Error(`unknown replica ${replica}`);
    const text = await (
      await fetch(`http://127.0.0.1:${stack.ports.engines[index]}/metrics`)
    ).text();
    const m = new Map<string, number>();
    for (const line of text.split('\n')) {
      const match = /^(llamacpp:[a-z_]+)(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
      if (match?.[1] && match[2]) m.set(match[1], Number(match[2]));
    }
    return m;
  };

  it(`ORCH-3103: models.list() names the served model with engine, engine_version, model_digest ${CARVE}`, async () => {
    const list = await client.models.list();
    const entry = list.data.find((m) => m.id === model) as unknown as Record<string, unknown>;
    expect(entry).toMatchObject({ object: 'model', engine: 'llamacpp' });
    expect(entry['model_digest']).toBe(stack.model.digest);
    expect(String(entry['engine_version']).length).toBeGreaterThan(0);
    expect(validateSchema('data', 'ModelList', { object: 'list', data: list.data }).issues).toEqual(
      [],
    );
  }, 30_000);

  it(`ORCH-3103/ORCH-3105: chat non-stream and stream agree; usage equals the streamed chunks ${CARVE}`, async () => {
    const { data: chat, response } = await client.chat.completions
      .create({ model, messages: MESSAGES, max_tokens: 8, seed: 7 })
      .withResponse();
    expect(validateSchema('data', 'ChatCompletion', chat).issues).toEqual([]);
    const content = chat.choices[0]?.message.content ?? '';
    expect(content.length).toBeGreaterThan(0);
    expect(response.headers.get('x-orch-seed')).toBe('7');
    expect(chat.system_fingerprint).toContain('llamacpp|');
    expect(chat.usage?.completion_tokens).toBeGreaterThan(0);
    expect(chat.usage?.completion_tokens).toBeLessThanOrEqual(8);
    expect(chat.usage?.prompt_tokens).toBeGreaterThan(5); // the rendered template, not the raw text

    const stream = await client.chat.completions.create({
      model,
      messages: MESSAGES,
      max_tokens: 8,
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content !== undefined && choice.delta.content !== null)
        pieces.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces.join('')).toBe(content);
    expect(usage?.completion_tokens).toBe(pieces.length);
    expect(usage).toEqual(chat.usage);
    expect(finish).toBe(chat.choices[0]?.finish_reason);
  }, 120_000);

  it(`ORCH-3103/ORCH-3105: completions, stream and not, and stop sequences ${CARVE}`, async () => {
    const prompt = 'The capital of France is';
    const done = await client.completions.create({ model, prompt, max_tokens: 8, seed: 7 });
    expect(validateSchema('data', 'Completion', done).issues).toEqual([]);
    const text = done.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
    const pieces: string[] = [];
    for await (const c of await client.completions.create({
      model,
      prompt,
      max_tokens: 8,
      seed: 7,
      stream: true,
    })) {
      pieces.push(c.choices[0]?.text ?? '');
    }
    expect(pieces.join('')).toBe(text);
    // A stop string from the middle of that text: the same seed stops right before it.
    const word = text.split(' ').filter((w) => w.length >= 2)[1];
    expect(word, `no second word in ${JSON.stringify(text)}`).toBeDefined();
    const stop = ` ${word}`;
    const stopped = await client.completions.create({
      model,
      prompt,
      max_tokens: 8,
      seed: 7,
      stop: [stop],
    });
    expect(stopped.choices[0]?.text).toBe(text.slice(0, text.indexOf(stop)));
    expect(stopped.choices[0]?.finish_reason).toBe('stop');
  }, 120_000);

  it(`ORCH-3105/ORCH-3050: the same seed gives byte-identical content on both replicas ${CARVE}`, async () => {
    const ask = () =>
      client.chat.completions
        .create({ model, messages: MESSAGES, max_tokens: 12, seed: 42 })
        .withResponse();
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([ask(), ask()]);
      const ra = a.response.headers.get('x-orch-replica-id');
      const rb = b.response.headers.get('x-orch-replica-id');
      if (ra === rb) continue; // both on one replica (the other was busy): try again
      expect(a.data.choices[0]?.message.content).toBe(b.data.choices[0]?.message.content);
      expect(a.data.system_fingerprint).toBe(b.data.system_fingerprint);
      return;
    }
    throw new Error('three rounds of two concurrent requests never used both replicas');
  }, 180_000);

  it(`ORCH-3105/ORCH-3091: without a seed the seed is the hash of the task id, and says so ${CARVE}`, async () => {
    const { data, response } = await client.chat.completions
      .create({ model, messages: MESSAGES, max_tokens: 2 })
      .withResponse();
    const taskId = data.id.replace(/^chatcmpl-/, '');
    expect(response.headers.get('x-orch-seed')).toBe(String(resolveSeed(taskId, undefined)));
  }, 60_000);

  it(`ORCH-3107: abort mid-stream frees the engine slot within 1 s and decoding stops ${CARVE}`, async () => {
    const { data: stream, response } = await client.completions
      .create({ model, prompt: 'Once upon a time', max_tokens: 400, seed: 3, stream: true })
      .withResponse();
    const replica = response.headers.get('x-orch-replica-id') ?? '';
    let seen = 0;
    for await (const _ of stream) {
      if (++seen === 3) break; // breaking the loop aborts the request (the SDK's controller)
    }
    const abortedAt = performance.now();
    let idleMs = -1;
    while (performance.now() - abortedAt < 3000) {
      const m = await engineMetrics(replica);
      if (m.get('llamacpp:requests_processing') === 0) {
        idleMs = performance.now() - abortedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    console.log(`${CARVE} abort → engine requests_processing 0 after ${Math.round(idleMs)} ms`);
    expect(idleMs).toBeGreaterThanOrEqual(0);
    expect(idleMs).toBeLessThanOrEqual(1000);
    const before = await engineMetrics(replica);
    await new Promise((r) => setTimeout(r, 1000));
    const after = await engineMetrics(replica);
    expect(after.get('llamacpp:tokens_predicted_total')).toBe(
      before.get('llamacpp:tokens_predicted_total'),
    );
    expect(after.get('llamacpp:requests_processing')).toBe(0);
    // Far fewer than 400 tokens were decoded for it.
    expect(before.get('llamacpp:tokens_predicted_total') ?? 0).toBeLessThan(400);
  }, 120_000);

  it(`ORCH-3106: typed errors in OpenAI's shape (404, 400 n, 401, 429 + Retry-After, 413) ${CARVE}`, async () => {
    const fail = async (p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> => {
      try {
        await p;
      } catch (e) {
        if (e instanceof OpenAI.APIError) return e;
        throw e;
      }
      throw new Error('expected an error');
    };
    const notFound = await fail(
      client.chat.completions.create({ model: 'no-such-model', messages: MESSAGES }),
    );
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notFound).toMatchObject({ status: 404, code: 'NOT_FOUND', param: 'model' });
    const n2 = await fail(
      client.chat.completions.create({ model, messages: MESSAGES, n: 2, max_tokens: 4 }),
    );
    expect(n2).toBeInstanceOf(OpenAI.BadRequestError);
    expect(n2).toMatchObject({ status: 400, code: 'INVALID_PARAMS', param: 'n' });
    recordTestKeys(['not-a-key']); // ORCH-3141: the run's log scan searches for it too
    const badKey = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'not-a-key', maxRetries: 0 });
    const auth = await fail(badKey.chat.completions.create({ model, messages: MESSAGES }));
    expect(auth).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(auth).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    const tiny = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: TINY_KEY, maxRetries: 0 });
    const quota = await fail(
      tiny.chat.completions.create({ model, messages: MESSAGES, max_tokens: 64 }),
    );
    expect(quota).toBeInstanceOf(OpenAI.RateLimitError);
    expect(quota).toMatchObject({ status: 429, code: 'ADMISSION_REJECT' });
    expect(Number(quota.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(quota.headers?.get('x-backoff-ms'))).toBeGreaterThan(0);
    // Above Envoy's body limit (1 MiB): refused before placement, same shape.
    const big = await fetch(`${stack.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model, prompt: 'x'.repeat(1_100_000) }),
    });
    expect(big.status).toBe(413);
    const body = (await big.json()) as unknown;
    expect(validateSchema('data', 'OpenAiErrorResponse', body).issues).toEqual([]);
    expect(body).toMatchObject({ error: { code: 'REQUEST_TOO_LARGE' } });
    // Bad input through the SDK's model list too: a bad key is 401 there as well.
    await expect(badKey.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  }, 60_000);

  it(`ORCH-3103: metrics count OpenAI requests under api="openai" ${CARVE}`, async () => {
    const { samples } = await scrape(stack.url);
    expect(total(samples, 'tasks_enqueued_total', { api: 'openai' })).toBeGreaterThan(5);
    expect(total(samples, 'tasks_enqueued_total', { api: 'orchqueue' })).toBe(0);
    expect(total(samples, 'tasks_started_total', { api: 'openai' })).toBeGreaterThan(5);
    expect(
      total(samples, 'placement_extproc_requests_total', { api: 'openai', outcome: 'routed' }),
    ).toBeGreaterThan(5);
    expect(
      total(samples, 'tasks_rejected_total', { api: 'openai', reason: 'INVALID_PARAMS' }),
    ).toBeGreaterThanOrEqual(1); // n: 2
    expect(
      total(samples, 'tasks_rejected_total', { api: 'openai', reason: 'ADMISSION_REJECT' }),
    ).toBeGreaterThanOrEqual(1); // over quota
    expect(
      total(samples, 'placement_extproc_requests_total', {
        api: 'openai',
        outcome: 'unauthorized',
      }),
    ).toBeGreaterThanOrEqual(1); // bad key
  }, 30_000);

  it(`ORCH-3103: the official openai Python SDK, unchanged, passes the same suite ${CARVE}`, async () => {
    const python = await pythonOpenAi((s) => console.log(s));
    const out = (await runPythonSdk(python, join(HERE, 'openai', 'sdk_suite.py'), {
      ORCH_BASE_URL: stack.url,
      ORCH_API_KEY: KEY,
      ORCH_TINY_KEY: TINY_KEY,
      ORCH_MODEL: model,
    })) as {
      sdk: string;
      chat: {
        content: string;
        seed_header: string;
        usage: { completion_tokens: number };
        fingerprint: string;
      };
      chat_stream: { pieces: string[]; usage: { completion_tokens: number } };
      completion: { text: string };
      stop?: { stop: string; full: string; text: string; finish_reason: string };
      errors: Record<
        string,
        { status: number; class: string; code: string; param?: string; retry_after?: string }
      >;
      models: { id: string; engine: string }[];
    };
    console.log(`${CARVE} python openai ${out.sdk}: chat ${JSON.stringify(out.chat.content)}`);
    // Same request, same seed as the npm SDK's: byte-identical content.
    const ts = await client.chat.completions.create({
      model,
      messages: MESSAGES,
      max_tokens: 8,
      seed: 7,
    });
    expect(out.chat.content).toBe(ts.choices[0]?.message.content);
    expect(out.chat.seed_header).toBe('7');
    expect(out.chat.fingerprint).toBe(ts.system_fingerprint);
    expect(out.chat_stream.pieces.join('')).toBe(out.chat.content);
    expect(out.chat_stream.usage.completion_tokens).toBe(out.chat_stream.pieces.length);
    expect(out.completion.text.length).toBeGreaterThan(0);
    expect(out.stop).toBeDefined();
    if (out.stop) {
      expect(out.stop.text).toBe(out.stop.full.slice(0, out.stop.full.indexOf(out.stop.stop)));
      expect(out.stop.finish_reason).toBe('stop');
    }
    expect(out.errors['unknown_model']).toMatchObject({
      status: 404,
      class: 'NotFoundError',
      code: 'NOT_FOUND',
    });
    expect(out.errors['n2']).toMatchObject({ status: 400, class: 'BadRequestError', param: 'n' });
    expect(out.errors['bad_key']).toMatchObject({ status: 401, class: 'AuthenticationError' });
    expect(out.errors['quota']).toMatchObject({
      status: 429,
      class: 'RateLimitError',
      code: 'ADMISSION_REJECT',
    });
    expect(Number(out.errors['quota']?.retry_after)).toBeGreaterThanOrEqual(1);
    expect(out.models.map((m) => m.id)).toContain(model);
  }, 600_000);
});
