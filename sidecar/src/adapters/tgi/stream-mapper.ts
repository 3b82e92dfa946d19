// TGI /generate_stream SSE → normalised events. One event per token
// {index, token{id,text,logprob,special}, generated_text, details}; the last one carries
// generated_text and details{finish_reason,generated_tokens,input_length,seed}. Errors arrive as
// {error, error_type} events inside the stream or as the body of a non-2xx answer.
import {
  OutcomeTracker,
  internal,
  isRecord,
  num,
  str,
  type SseEvent,
  type StreamMapper,
} from '../openai-compatible/index.js';
import type { AdapterError, GenerationEvent } from '../types.js';

/** TGI error_type (or HTTP status) → our code. */
function tgiError(errorType: string | undefined, message: string, status?: number): AdapterError {
  const kind = errorType ?? statusKind(status);
  switch (kind) {
    case 'validation':
      return { code: 'INVALID_PARAMS', message: `TGI validation: ${message}`, retriable: false };
    case 'overloaded':
      return { code: 'REPLICA_EXHAUSTED', message: `TGI overloaded: ${message}`, retriable: true };
    case 'incomplete_generation':
      return {
        code: 'WORKER_RESET',
        message: `TGI incomplete generation: ${message}`,
        retriable: true,
      };
    case 'healthcheck':
    case 'unavailable':
      return { code: 'WORKER_RESET', message: `TGI unavailable: ${message}`, retriable: true };
    default:
      return { code: 'INTERNAL', message: `TGI ${kind ?? 'error'}: ${message}`, retriable: false };
  }
}

function statusKind(status: number | undefined): string | undefined {
  if (status === 422 || status === 400) return 'validation';
  if (status === 424) return 'generation';
  if (status === 429) return 'overloaded';
  if (status === 503) return 'unavailable';
  if (status === 500) return 'incomplete_generation';
  return undefined;
}

export class TgiStreamMapper implements StreamMapper {
  readonly tracker = new OutcomeTracker();

  map(ev: SseEvent): GenerationEvent[] {
    const t = this.tracker;
    if (t.finished) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(ev.data);
    } catch {
      return t.fail(internal(`engine sent malformed JSON: ${ev.data.slice(0, 120)}`));
    }
    if (!isRecord(parsed)) return [];
    if (parsed.error !== undefined) {
      return t.fail(tgiError(str(parsed.error_type), str(parsed.error) ?? 'engine error'));
    }
    const out: GenerationEvent[] = [];
    const tok = isRecord(parsed.token) ? parsed.token : undefined;
    if (tok) {
      t.tokensOut += 1;
      const text = str(tok.text) ?? '';
      const id = num(tok.id);
      // Special tokens (EOS) count but are not text the client asked for.
      if (tok.special !== true && text.length > 0) {
        out.push({ type: 'token', text, tokenIds: id === undefined ? [] : [id] });
      }
    }
    if (isRecord(parsed.details)) {
      const d = parsed.details;
      t.tokensOut = num(d.generated_tokens) ?? t.tokensOut;
      t.tokensIn = num(d.input_length) ?? t.tokensIn;
      out.push(...t.done(str(d.finish_reason) === 'length' ? 'length' : 'stop'));
    } else if (parsed.generated_text !== null && parsed.generated_text !== undefined) {
      // Final event without details (details=false): complete, reason unknown → stop.
      out.push(...t.done('stop'));
    }
    return out;
  }

  httpError(status: number, body: string): AdapterError {
    try {
      const v: unknown = JSON.parse(body);
      if (isRecord(v))
        return tgiError(str(v.error_type), str(v.error) ?? body.slice(0, 200), status);
    } catch {
      // not JSON
    }
    return tgiError(undefined, body.slice(0, 200) || `HTTP ${status}`, status);
  }

  end(): GenerationEvent[] {
    return this.tracker.cut('connection closed before the final event');
  }
}
