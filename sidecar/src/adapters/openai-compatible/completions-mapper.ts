// OpenAI-compatible streaming completions (`text_completion` / `chat.completion.chunk` SSE ending
// `data: [DONE]`) → normalised events. Quirks handled here: usage on the finish chunk or on a
// separate `choices: []` chunk (stream_options.include_usage), `[DONE]` possibly missing after a
// complete finish, error objects inside the stream.
import type { AdapterError, GenerationEvent } from '../types.js';
import { codeForStatus, openAiErrorParts, openAiHttpError } from './errors.js';
import { isRecord, num, str } from './http.js';
import { OutcomeTracker, internal } from './outcome.js';
import type { StreamMapper } from './stream-driver.js';
import type { SseEvent } from './sse-reader.js';

export class OpenAiCompletionsMapper implements StreamMapper {
  readonly tracker = new OutcomeTracker();
  private finishReason: string | undefined;
  private usageSeen = false;

  map(ev: SseEvent): GenerationEvent[] {
    const t = this.tracker;
    if (t.finished) return [];
    if (ev.data.trim() === '[DONE]') return this.complete('[DONE] before a finish_reason');
    let parsed: unknown;
    try {
      parsed = JSON.parse(ev.data);
    } catch {
      return t.fail(internal(`engine sent malformed JSON: ${ev.data.slice(0, 120)}`));
    }
    if (!isRecord(parsed)) return [];
    if (parsed.error !== undefined || parsed.object === 'error') {
      const e = openAiErrorParts(parsed);
      return t.fail(codeForStatus(e.code, `in-stream error: ${e.message}`));
    }
    const out: GenerationEvent[] = [];
    const choices = Array.isArray(parsed.choices) ? parsed.choices : [];
    for (const c of choices) {
      if (!isRecord(c) || (num(c.index) ?? 0) !== 0) continue;
      const delta = isRecord(c.delta) ? c.delta : {};
      const text = str(c.text) ?? str(delta.content) ?? '';
      if (text.length > 0) {
        t.tokensOut += 1;
        out.push({ type: 'token', text, tokenIds: [] });
      }
      const fr = str(c.finish_reason);
      if (fr !== undefined) this.finishReason = fr;
    }
    if (isRecord(parsed.usage)) {
      // The engine's own counts win over chunk counting (ORCH-4015).
      t.tokensIn = num(parsed.usage.prompt_tokens) ?? t.tokensIn;
      t.tokensOut = num(parsed.usage.completion_tokens) ?? t.tokensOut;
      this.usageSeen = true;
    }
    if (this.finishReason !== undefined && this.usageSeen) out.push(...this.complete(''));
    return out;
  }

  httpError(status: number, body: string): AdapterError {
    return openAiHttpError(status, body);
  }

  end(): GenerationEvent[] {
    return this.complete('connection closed without a finish_reason');
  }

  private complete(missing: string): GenerationEvent[] {
    const fr = this.finishReason;
    if (fr === undefined) return this.tracker.cut(missing);
    if (fr === 'length') return this.tracker.done('length');
    if (fr === 'abort') return this.tracker.cut('engine aborted the request');
    return this.tracker.done('stop');
  }
}
