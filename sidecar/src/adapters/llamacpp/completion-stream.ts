// Maps llama-server /completion stream events to our normalised GenerationEvents. Unknown fields
// are ignored; malformed JSON or an engine error becomes a coded outcome, never a silent close.
import type { AdapterError, GenerationEvent, GenerationOutcome } from '../types.js';
import type { SseEvent as RawEvent } from '../openai-compatible/index.js';

interface Timings {
  prompt_n?: unknown;
  prompt_ms?: unknown;
  predicted_n?: unknown;
  predicted_ms?: unknown;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errorMessage(v: unknown): string {
  if (isRecord(v)) {
    const inner = isRecord(v.error) ? v.error : v;
    if (typeof inner.message === 'string') return inner.message;
  }
  return typeof v === 'string' ? v : 'engine reported an error';
}

/** Stateful per request: counts tokens and remembers the final stats. */
export class CompletionStreamMapper {
  private tokensOut = 0;
  private tokensIn = 0;
  private outcome: GenerationOutcome | undefined;

  get finished(): GenerationOutcome | undefined {
    return this.outcome;
  }

  get tokenCount(): number {
    return this.tokensOut;
  }

  map(raw: RawEvent): GenerationEvent[] {
    if (this.outcome) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.data);
    } catch {
      if (raw.event === 'error')
        return this.fail(internal(`engine error: ${raw.data.slice(0, 200)}`));
      return this.fail(internal(`engine sent malformed JSON: ${raw.data.slice(0, 120)}`));
    }
    if (raw.event === 'error' || (isRecord(parsed) && parsed.error !== undefined)) {
      return this.fail(internal(`engine error: ${errorMessage(parsed)}`));
    }
    if (!isRecord(parsed)) return [];
    const out: GenerationEvent[] = [];
    const content = typeof parsed.content === 'string' ? parsed.content : '';
    const ids = Array.isArray(parsed.tokens)
      ? parsed.tokens.filter((t): t is number => typeof t === 'number')
      : [];
    if (content.length > 0 || ids.length > 0) {
      // A multi-byte character may be held back by the engine: its token ids come with an empty
      // content, so the token counts from ids but no empty text event is emitted.
      this.tokensOut += ids.length > 0 ? ids.length : 1;
      if (content.length > 0) out.push({ type: 'token', text: content, tokenIds: ids });
    }
    const evaluated = num(parsed.tokens_evaluated);
    if (evaluated !== undefined) this.tokensIn = evaluated;
    if (parsed.stop === true) {
      const timings: Timings = isRecord(parsed.timings) ? parsed.timings : {};
      const predicted = num(parsed.tokens_predicted) ?? num(timings.predicted_n);
      this.outcome = {
        reason: parsed.stop_type === 'limit' ? 'length' : 'stop',
        tokensIn: num(timings.prompt_n) ?? this.tokensIn,
        tokensOut: predicted ?? this.tokensOut,
        promptMs: num(timings.prompt_ms),
        decodeMs: num(timings.predicted_ms),
      };
      out.push({ type: 'outcome', outcome: this.outcome });
    }
    return out;
  }

  /** Ends the stream without a final `stop` event: aborted by us, or cut by the engine. */
  close(aborted: boolean, cause?: string): GenerationEvent[] {
    if (this.outcome) return [];
    if (aborted) {
      this.outcome = { reason: 'canceled', tokensIn: this.tokensIn, tokensOut: this.tokensOut };
      return [{ type: 'outcome', outcome: this.outcome }];
    }
    return this.fail({
      code: 'WORKER_RESET',
      message: `engine stream ended before completion${cause ? `: ${cause}` : ''}`,
      retriable: true,
    });
  }

  fail(error: AdapterError): GenerationEvent[] {
    if (this.outcome) return [];
    this.outcome = { reason: 'error', tokensIn: this.tokensIn, tokensOut: this.tokensOut, error };
    return [{ type: 'outcome', outcome: this.outcome }];
  }
}

function internal(message: string): AdapterError {
  return { code: 'INTERNAL', message, retriable: false };
}
