// A cheap vLLM-style OpenAI front-end on the same engine: POST /v1/completions (stream with
// include_usage → a final `choices: []` usage chunk, then `data: [DONE]`; errors as
// `data: {"error": …}`), GET /v1/models, /version. The prefix cache is always on, as vLLM's APC.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimEngine } from './engine.js';
import { clientGone, numOr, readJson, sendJson, startSse } from './http-util.js';
import { hash32, tokenize } from './model.js';

let autoSeed = 0;

export function models(engine: SimEngine): unknown {
  const c = engine.config;
  return {
    object: 'list',
    data: [{ id: c.model, object: 'model', owned_by: 'sim', max_model_len: c.ctx }],
  };
}

export async function completions(
  engine: SimEngine,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let body: Record<string, unknown>;
  try {
    body = await readJson(req);
  } catch (err) {
    sendJson(res, 400, {
      error: { message: String(err), type: 'BadRequestError', param: null, code: 400 },
    });
    return;
  }
  const c = engine.config;
  if (body.model !== undefined && body.model !== c.model) {
    sendJson(res, 404, {
      error: {
        message: `The model \`${String(body.model)}\` does not exist.`,
        type: 'NotFoundError',
        param: null,
        code: 404,
      },
    });
    return;
  }
  const prompt = tokenize(typeof body.prompt === 'string' ? body.prompt : '');
  const maxTokens = numOr(body.max_tokens, 16);
  if (prompt.length + maxTokens > c.ctx) {
    sendJson(res, 400, {
      error: {
        message: `maximum context length is ${c.ctx} tokens`,
        type: 'BadRequestError',
        param: null,
        code: 400,
      },
    });
    return;
  }
  const seed = typeof body.seed === 'number' ? body.seed : hash32('auto', ++autoSeed);
  const stream = body.stream === true;
  const so = body.stream_options;
  const includeUsage =
    typeof so === 'object' && so !== null && (so as Record<string, unknown>).include_usage === true;
  const id = `cmpl-sim${hash32('id', seed, Date.now()).toString(16)}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (text: string, finish: string | null): object => ({
    id,
    object: 'text_completion',
    created,
    model: c.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null }],
    usage: null,
  });
  const signal = clientGone(res);
  const text: string[] = [];
  if (stream) startSse(res);
  const write = (data: unknown): void => {
    if (!res.writableEnded)
      res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  };
  await engine.run(
    { prompt, seed, temperature: numOr(body.temperature, 1), maxTokens, cachePrompt: true },
    {
      token: (t) => (stream ? write(chunk(t.text, null)) : void text.push(t.text)),
      error: (message) => {
        const err = { error: { message, type: 'InternalServerError', param: null, code: 500 } };
        if (!stream) return sendJson(res, 500, err);
        write(err);
        write('[DONE]');
        res.end();
      },
      drop: () => res.socket?.destroy(),
      done: (s) => {
        const finish = s.stopType === 'limit' ? 'length' : 'stop';
        const usage = {
          prompt_tokens: prompt.length,
          total_tokens: prompt.length + s.predictedN,
          completion_tokens: s.predictedN,
          prompt_tokens_details: { cached_tokens: s.cacheN },
        };
        if (!stream) {
          sendJson(res, 200, { ...chunk(text.join(''), finish), usage });
          return;
        }
        write(chunk('', finish));
        if (includeUsage)
          write({ id, object: 'text_completion', created, model: c.model, choices: [], usage });
        write('[DONE]');
        res.end();
      },
    },
    signal,
  );
  if (!res.writableEnded && signal.aborted) res.end();
}
