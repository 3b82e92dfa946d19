// ORCH-3102: one POST to the engine's own chat-template endpoint, shared by the HTTP adapters
// (vLLM /tokenize, TGI /chat_tokenize). The engine renders the model's template; the sidecar never
// guesses one. Every failure becomes exactly one outcome before any decode request: our abort →
// `canceled`; refused/reset → WORKER_RESET; non-2xx → the adapter's own status mapping; an answer
// without what the adapter needs → INTERNAL. Error messages start with `chat template:`.
import type { AdapterError, GenerationEvent } from '../types.js';
import { transportError } from './http.js';
import type { OutcomeTracker } from './outcome.js';

interface ChatRenderRequest<T> {
  url: URL;
  body: unknown;
  signal: AbortSignal;
  /** The adapter's mapping of a non-2xx answer (the same as for its decode endpoint). */
  httpError(status: number, body: string): AdapterError;
  /** The rendered prompt from the parsed JSON answer; undefined when it is not there. */
  parse(json: unknown): T | undefined;
}

type ChatRendered<T> = { ok: true; value: T } | { ok: false; events: GenerationEvent[] };

export async function renderChat<T>(
  tracker: OutcomeTracker,
  req: ChatRenderRequest<T>,
): Promise<ChatRendered<T>> {
  const endpoint = req.url.pathname;
  const fail = (e: AdapterError): ChatRendered<T> => ({
    ok: false,
    events: req.signal.aborted
      ? tracker.canceled()
      : tracker.fail({ ...e, message: `chat template: ${e.message}` }),
  });
  let text: string;
  let status: number;
  try {
    const res = await fetch(req.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(req.body),
      signal: req.signal,
    });
    status = res.status;
    text = await res.text();
  } catch (err) {
    return fail(transportError(err));
  }
  if (status < 200 || status >= 300) return fail(req.httpError(status, text));
  let value: T | undefined;
  try {
    value = req.parse(JSON.parse(text));
  } catch {
    value = undefined;
  }
  if (value === undefined) {
    return fail({
      code: 'INTERNAL',
      message: `engine ${endpoint} answered without a rendered prompt: ${text.slice(0, 120)}`,
      retriable: false,
    });
  }
  return { ok: true, value };
}
