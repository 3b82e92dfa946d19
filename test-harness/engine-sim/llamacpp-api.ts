// llama.cpp `llama-server` native API as documented in ggml-org/llama.cpp tools/server/README.md:
// GET /health (503 "Loading model" while loading), /props (build_info `sim-…`), /slots, /metrics
// (llamacpp:* names), POST /completion (SSE `data:` events, final `stop: true` with `stop_type`
// and `timings`; engine errors as `error:` lines), POST /apply-template (the simulated model's
// template, ChatML: chat-template.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimEngine } from './engine.js';
import { clientGone, numOr, readJson, sendJson, startSse } from './http-util.js';
import { chatMessages, chatml } from './chat-template.js';
import { hash32, tokenize } from './model.js';

export const LOADING_BODY = {
  error: { code: 503, message: 'Loading model', type: 'unavailable_error' },
};

let autoSeed = 0;

function promptTokens(v: unknown): number[] {
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return tokenize(typeof v === 'string' ? v : '');
}

export function props(engine: SimEngine): Record<string, unknown> {
  const c = engine.config;
  return {
    default_generation_settings: {
      id: 0,
      n_ctx: c.ctx,
      speculative: false,
      is_processing: false,
      params: { seed: -1, temperature: 0.8, top_k: 40, top_p: 0.95, min_p: 0.05, n_predict: -1 },
    },
    total_slots: c.slots,
    model_path: c.modelPath ?? `sim://${c.model}`,
    chat_template: '{# ChatML, rendered by POST /apply-template #}',
    build_info: c.version,
    endpoint_slots: true,
    endpoint_props: false,
    endpoint_metrics: true,
    is_sleeping: false,
  };
}

/** ChatML, as the simulated model's own template: each message, then the assistant's opening. */
export async function applyTemplate(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const messages = chatMessages((await readJson(req)).messages);
  if (messages === undefined) {
    sendJson(res, 400, {
      error: {
        code: 400,
        message: "'messages' must be an array of {role, content}",
        type: 'invalid_request_error',
      },
    });
    return;
  }
  sendJson(res, 200, { prompt: chatml(messages) });
}

export function slots(engine: SimEngine): unknown[] {
  return engine.slotViews().map((s) => ({
    id: s.id,
    id_task: s.processing ? 1 : -1,
    n_ctx: engine.config.ctx,
    speculative: false,
    is_processing: s.processing,
    params: { seed: s.seed, n_predict: -1 },
    next_token: {
      has_next_token: s.processing,
      has_new_line: false,
      n_remain: s.nRemain,
      n_decoded: s.nDecoded,
    },
  }));
}

export async function completion(
  engine: SimEngine,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let body: Record<string, unknown>;
  try {
    body = await readJson(req);
  } catch (err) {
    sendJson(res, 400, {
      error: { code: 400, message: String(err), type: 'invalid_request_error' },
    });
    return;
  }
  const prompt = promptTokens(body.prompt);
  if (prompt.length + 1 > engine.config.ctx) {
    sendJson(res, 400, {
      error: {
        code: 400,
        message: 'the request exceeds the available context size',
        type: 'exceed_context_size_error',
      },
    });
    return;
  }
  const requested = numOr(body.seed, -1);
  const seed = requested < 0 ? hash32('auto', ++autoSeed) : requested;
  const nPredict = numOr(body.n_predict, -1);
  const maxTokens = nPredict < 0 ? engine.config.ctx - prompt.length : nPredict;
  const returnTokens = body.return_tokens === true;
  const stream = body.stream === true;
  const signal = clientGone(res);
  const content: string[] = [];
  const ids: number[] = [];
  if (stream) startSse(res);
  const write = (line: string): void => {
    if (!res.writableEnded) res.write(line);
  };
  await engine.run(
    {
      prompt,
      seed,
      temperature: numOr(body.temperature, 0.8),
      maxTokens,
      cachePrompt: body.cache_prompt !== false || engine.config.alwaysCachePrompt === true,
    },
    {
      token: (t, i) => {
        if (!stream) {
          content.push(t.text);
          ids.push(t.id);
          return;
        }
        const ev = {
          index: 0,
          content: t.text,
          tokens: returnTokens ? [t.id] : [],
          stop: false,
          id_slot: 0,
          tokens_predicted: i + 1,
          tokens_evaluated: prompt.length,
        };
        write(`data: ${JSON.stringify(ev)}\n\n`);
      },
      error: (message) => {
        const err = { code: 500, message, type: 'server_error' };
        if (stream) {
          write(`error: ${JSON.stringify(err)}\n\n`);
          res.end();
        } else {
          sendJson(res, 500, { error: err });
        }
      },
      drop: () => res.socket?.destroy(),
      done: (s) => {
        const final = {
          index: 0,
          content: stream ? '' : content.join(''),
          tokens: stream || !returnTokens ? [] : ids,
          id_slot: s.slotId,
          stop: true,
          model: engine.config.model,
          tokens_predicted: s.predictedN,
          tokens_evaluated: prompt.length,
          generation_settings: { seed, n_predict: nPredict },
          prompt: typeof body.prompt === 'string' ? body.prompt : '',
          has_new_line: false,
          truncated: false,
          stop_type: s.stopType,
          stopping_word: '',
          tokens_cached: prompt.length + s.predictedN,
          timings: {
            cache_n: s.cacheN,
            prompt_n: s.promptN,
            prompt_ms: s.promptMs,
            prompt_per_token_ms: s.promptN > 0 ? s.promptMs / s.promptN : 0,
            prompt_per_second: s.promptMs > 0 ? (s.promptN * 1000) / s.promptMs : 0,
            predicted_n: s.predictedN,
            predicted_ms: s.predictedMs,
            predicted_per_token_ms: s.predictedN > 0 ? s.predictedMs / s.predictedN : 0,
            predicted_per_second: s.predictedMs > 0 ? (s.predictedN * 1000) / s.predictedMs : 0,
          },
        };
        if (stream) {
          write(`data: ${JSON.stringify(final)}\n\n`);
          res.end();
        } else {
          sendJson(res, 200, final);
        }
      },
    },
    signal,
  );
  // A hang or a dropped client ends here without a final event; close what is left.
  if (!res.writableEnded && signal.aborted) res.end();
}

export function metrics(engine: SimEngine): string {
  const c = engine.counters;
  const labels = `model_name="${engine.config.model}"`;
  const lines: [string, string, number][] = [
    ['llamacpp:prompt_tokens_total', 'counter', c.promptTokens],
    ['llamacpp:prompt_seconds_total', 'counter', c.promptMs / 1000],
    ['llamacpp:tokens_predicted_total', 'counter', c.predicted],
    ['llamacpp:tokens_predicted_seconds_total', 'counter', c.predictedMs / 1000],
    ['llamacpp:n_decode_total', 'counter', c.predicted],
    [
      'llamacpp:prompt_tokens_seconds',
      'gauge',
      c.promptMs > 0 ? (c.promptTokens * 1000) / c.promptMs : 0,
    ],
    [
      'llamacpp:predicted_tokens_seconds',
      'gauge',
      c.predictedMs > 0 ? (c.predicted * 1000) / c.predictedMs : 0,
    ],
    ['llamacpp:kv_cache_usage_ratio', 'gauge', engine.kvUsage()],
    ['llamacpp:requests_processing', 'gauge', engine.busy],
    ['llamacpp:requests_deferred', 'gauge', engine.deferred],
  ];
  const out = lines.flatMap(([name, type, v]) => [
    `# HELP ${name} simulated`,
    `# TYPE ${name} ${type}`,
    `${name} ${v}`,
  ]);
  // The vLLM-style names, so the OpenAI front-end is observable the same way.
  out.push(
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running{${labels}} ${engine.busy}`,
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting{${labels}} ${engine.deferred}`,
    '# TYPE vllm:kv_cache_usage_perc gauge',
    `vllm:kv_cache_usage_perc{${labels}} ${engine.kvUsage()}`,
    '# TYPE vllm:prefix_cache_queries_total counter',
    `vllm:prefix_cache_queries_total{${labels}} ${c.cacheQueries}`,
    '# TYPE vllm:prefix_cache_hits_total counter',
    `vllm:prefix_cache_hits_total{${labels}} ${c.cacheHits}`,
  );
  return out.join('\n') + '\n';
}
