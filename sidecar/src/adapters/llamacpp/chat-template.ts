// ORCH-3102: a task prompt as one user turn in the model's own chat template. llama-server renders
// it (`POST /apply-template`, the template embedded in the GGUF), so the sidecar never guesses a
// template and the text decoded is exactly what the engine's own chat endpoint would decode.
import type { AdapterError, ChatTurn } from '../types.js';
import { postStream } from '../openai-compatible/index.js';
import type { StreamResponse } from '../openai-compatible/index.js';
import { describe, mapHttpError, mapTransportError } from './errors.js';

type Rendered = { ok: true; prompt: string } | { ok: false; error: AdapterError };

/**
 * The request body: the turns to render (one user turn for a task prompt, the whole conversation
 * for an OpenAI request, ORCH-3105); the engine appends the assistant turn's opening.
 */
function applyTemplateBody(turns: readonly ChatTurn[]): { messages: ChatTurn[] } {
  return { messages: [...turns] };
}

export async function renderChatPrompt(
  baseUrl: string,
  turns: readonly ChatTurn[],
  signal: AbortSignal,
): Promise<Rendered> {
  let res: StreamResponse;
  try {
    // The same warm keep-alive pool as the decode that follows (one engine round trip less to set
    // up on the stream's path).
    res = await postStream(
      new URL('/apply-template', baseUrl),
      JSON.stringify(applyTemplateBody(turns)),
      signal,
    );
  } catch (err) {
    return { ok: false, error: mapTransportError(err) };
  }
  const text = await res.text().catch((e: unknown) => `(body unreadable: ${describe(e)})`);
  if (res.status < 200 || res.status >= 300) {
    const e = mapHttpError(res.status, text);
    return { ok: false, error: { ...e, message: `chat template: ${e.message}` } };
  }
  let rendered: unknown;
  try {
    rendered = (JSON.parse(text) as { prompt?: unknown }).prompt;
  } catch {
    rendered = undefined;
  }
  if (rendered === '') {
    // ORCH-3144 (found by schemathesis): the turns are well formed but the model's template makes
    // nothing of them (e.g. one empty assistant turn, after which no generation prompt is
    // added). That is the request's doing, not the engine's: 400, not 500.
    return {
      ok: false,
      error: {
        code: 'INVALID_PARAMS',
        message: "chat template: the messages render to an empty prompt with this model's template",
        retriable: false,
      },
    };
  }
  if (typeof rendered !== 'string') {
    return {
      ok: false,
      error: {
        code: 'INTERNAL',
        message: `chat template: engine /apply-template answered without a prompt: ${text.slice(0, 120)}`,
        retriable: false,
      },
    };
  }
  return { ok: true, prompt: rendered };
}
