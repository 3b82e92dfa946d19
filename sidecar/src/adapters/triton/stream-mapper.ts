// Triton generate_stream SSE → normalised events. Each `data:` is one response of the decoupled
// model ({model_name, model_version, text_output, ...}); the HTTP status is fixed by the first
// response, so later failures arrive as {"error": "..."} inside the 200 stream.
// Classic ensembles carry no finish reason: a clean end of stream completes the request, and
// reaching max_tokens means `length`. The LLM-API model reports finish_reason on its last response.
import {
  OutcomeTracker,
  codeForStatus,
  internal,
  isRecord,
  num,
  openAiHttpError,
  str,
  type SseEvent,
  type StreamMapper,
} from '../openai-compatible/index.js';
import type { AdapterError, GenerationEvent } from '../types.js';
import type { TritonDialect } from './dialect.js';

function firstString(v: unknown): string | undefined {
  if (Array.isArray(v)) return firstString(v[0]);
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Triton error text → our code (Triton sends no error type, only a message). */
function tritonStreamError(message: string): AdapterError {
  if (/unexpected inference input|invalid|must be|exceeds|too long/i.test(message)) {
    return codeForStatus(400, message);
  }
  if (/not ready|unavailable|cancel+ed|shutting down/i.test(message))
    return codeForStatus(503, message);
  return { code: 'INTERNAL', message: `in-stream error: ${message}`, retriable: false };
}

export class TritonStreamMapper implements StreamMapper {
  readonly tracker = new OutcomeTracker();
  private finishReason: string | undefined;

  constructor(
    private readonly dialect: TritonDialect,
    private readonly maxTokens: number,
  ) {}

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
      return t.fail(tritonStreamError(str(parsed.error) ?? JSON.stringify(parsed.error)));
    }
    const out: GenerationEvent[] = [];
    const text = firstString(parsed.text_output) ?? '';
    if (parsed.text_output !== undefined) {
      // One response per decoded token in streaming mode; the engine count wins when present.
      t.tokensOut = num(parsed.num_output_tokens) ?? t.tokensOut + 1;
      if (text.length > 0) out.push({ type: 'token', text, tokenIds: [] });
    }
    const fr = firstString(parsed.finish_reason);
    if (fr !== undefined) {
      this.finishReason = fr;
      out.push(...this.complete());
    }
    return out;
  }

  httpError(status: number, body: string): AdapterError {
    // 400 bad input, 404 unknown model, 503 model not ready: {"error": "..."} bodies.
    if (status === 404)
      return {
        code: 'INTERNAL',
        message: `Triton model not found: ${body.slice(0, 200)}`,
        retriable: false,
      };
    return openAiHttpError(status, body);
  }

  end(): GenerationEvent[] {
    if (this.dialect.kind === 'llmapi' && this.finishReason === undefined) {
      return this.tracker.cut('stream closed without a finish_reason');
    }
    return this.complete();
  }

  private complete(): GenerationEvent[] {
    const fr = this.finishReason;
    const length = fr !== undefined ? fr === 'length' : this.tracker.tokensOut >= this.maxTokens;
    return this.tracker.done(length ? 'length' : 'stop');
  }
}
