// A cheap vLLM-style OpenAI front-end on the same engine: POST /v1/completions (stream with
// include_usage → a final `choices: []` usage chunk, then `data: [DONE]`; errors as
// `data: {"error": …}`; `prompt` a string or a list of token ids), GET /v1/models, /version, and
// vLLM's POST /tokenize ({prompt} or, ORCH-3102, {messages, add_generation_prompt} rendered with
// the simulated model's ChatML template → {count, max_model_len, tokens, token_strs}). The prefix
// cache is always on, as vLLM's APC.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimEngine } from './engine.js';
import { chatMessages, chatml } from './chat-template.js';
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

function badRequest(res: ServerResponse, message: string): void {
  sendJson(res, 400, { error: { message, type: 'BadRequestError', param: null, code: 400 } });
}

function unknownModel(res: ServerResponse, model: unknown): void {
  sendJson(res, 404, {
    error: {
      message: `The model \`${String(model)}\` does not exist.`,
      type: 'NotFoundError',
      param: null,
      code: 404,
    },
  });
}

/** vLLM's POST /tokenize: TokenizeCompletionRequest {prompt} or TokenizeChatRequest {messages}. */
export async function tokenizeRoute(
  engine: SimEngine,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let body: Record<string, unknown>;
  try {
    body = await readJson(req);
  } catch (err) {
    badRequest(res, String(err));
    return;
  }
  const c = engine.config;
  if (body.model !== undefined && body.model !== null && body.model !== c.model) {
    unknownModel(res, body.model);
    return;
  }
  let text: string;
  if (body.messages !== undefined) {
    const messages = chatMessages(body.messages);
    if (!messages) {
      badRequest(res, "'messages' must be an array of {role, content}");
      return;
    }
    text = chatml(messages, body.add_generation_prompt !== false);
  } else if (typeof body.prompt === 'string') {
    text = body.prompt;
  } else {
    badRequest(res, "one of 'prompt' (string) or 'messages' is required");
    return;
  }
  const tokens = tokenize(text);
  sendJson(res, 200, { count: tokens.length, max_model_len: c.ctx, tokens, token_strs: null });
}

/** A completions prompt: text (tokenized here) or token ids (taken as they are), else undefined. */
function promptTokens(v: unknown): number[] | undefined {
  if (typeof v === 'string') return tokenize(v);
  if (Array.isArray(v) && v.every((t) => Number.isSafeInteger(t) && (t as number) >= 0))
    return v as number[];
  return undefined;
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
    badRequest(res, String(err));
    return;
  }
  const c = engine.config;
  if (body.model !== undefined && body.model !== c.model) {
    unknownModel(res, body.model);
    return;
  }
  const prompt = promptTokens(body.prompt ?? '');
  if (prompt === undefined) {
    badRequest(res, "'prompt' must be a string or a list of token ids");
    return;
  }
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
