// Per-request bookkeeping every adapter needs: token counts and exactly one outcome (ORCH-4014).
import type { AdapterError, FinishReason, GenerationEvent, GenerationOutcome } from '../types.js';

export class OutcomeTracker {
  tokensIn = 0;
  tokensOut = 0;
  private outcome: GenerationOutcome | undefined;

  get finished(): GenerationOutcome | undefined {
    return this.outcome;
  }

  /** Records the one outcome; later calls are ignored. */
  finish(o: GenerationOutcome): GenerationEvent[] {
    if (this.outcome) return [];
    this.outcome = o;
    return [{ type: 'outcome', outcome: o }];
  }

  done(
    reason: Exclude<FinishReason, 'error' | 'canceled'>,
    extra: Partial<GenerationOutcome> = {},
  ) {
    return this.finish({ reason, tokensIn: this.tokensIn, tokensOut: this.tokensOut, ...extra });
  }

  fail(error: AdapterError): GenerationEvent[] {
    return this.finish({
      reason: 'error',
      tokensIn: this.tokensIn,
      tokensOut: this.tokensOut,
      error,
    });
  }

  canceled(): GenerationEvent[] {
    return this.finish({ reason: 'canceled', tokensIn: this.tokensIn, tokensOut: this.tokensOut });
  }

  /** The stream ended (or broke) before the engine said it was complete. */
  cut(cause?: string): GenerationEvent[] {
    return this.fail({
      code: 'WORKER_RESET',
      message: `engine stream ended before completion${cause ? `: ${cause}` : ''}`,
      retriable: true,
    });
  }
}

export function internal(message: string): AdapterError {
  return { code: 'INTERNAL', message, retriable: false };
}
