// The only sidecar code that writes SSE on the data path. Framing itself is the contract's
// formatSseEvent (one function for every writer); this class enforces the stream grammar
// started → token* → metrics* → exactly one terminal (end | error) and nothing after it
// (ORCH-2027, ORCH-2028, ORCH-2029). Token indices are assigned here, so they are consecutive
// from 0 by construction; so are the event ids (ORCH-4032: 0 for `started`, one more per event).
import {
  formatSseEvent,
  type SseEnd,
  type SseError,
  type SseEvent,
  type SseMetrics,
  type SseStarted,
} from '@llama-orch/contracts';

export interface SseSink {
  write(chunk: string): void;
  end(): void;
}

export type WriterState = 'idle' | 'streaming' | 'terminated';

/**
 * What a lease stream writes to: this OrchQueue SSE writer, or an OpenAI writer (ORCH-3103,
 * openai/). Same grammar: started → token* → metrics* → exactly one terminal event.
 */
export interface TaskEventWriter {
  readonly status: WriterState;
  readonly tokensWritten: number;
  started(data: SseStarted): void;
  token(text: string): boolean;
  metrics(data: SseMetrics): boolean;
  /** Prompt tokens of the finished decode, told just before `end` (OpenAI `usage`). */
  usage?(tokensIn: number): void;
  end(data: SseEnd): boolean;
  error(data: SseError): boolean;
  abandon(): void;
}

export class StreamGrammarError extends Error {
  override readonly name = 'StreamGrammarError';
}

export class SseStreamWriter implements TaskEventWriter {
  private state: WriterState = 'idle';
  private nextIndex = 0;
  private nextEventId = 0;

  constructor(private readonly sink: SseSink) {}

  get status(): WriterState {
    return this.state;
  }

  get tokensWritten(): number {
    return this.nextIndex;
  }

  started(data: SseStarted): void {
    if (this.state !== 'idle') throw new StreamGrammarError(`started after ${this.state}`);
    this.state = 'streaming';
    this.emit({ event: 'started', data });
  }

  /** Returns false (and writes nothing) once the stream is terminated: late tokens are dropped. */
  token(text: string): boolean {
    if (this.state === 'terminated') return false;
    this.requireStarted('token');
    this.emit({ event: 'token', data: { t: text, i: this.nextIndex } });
    this.nextIndex += 1;
    return true;
  }

  metrics(data: SseMetrics): boolean {
    if (this.state === 'terminated') return false;
    this.requireStarted('metrics');
    this.emit({ event: 'metrics', data });
    return true;
  }

  end(data: SseEnd): boolean {
    if (this.state === 'terminated') return false;
    if (this.state === 'idle') throw new StreamGrammarError('end before started');
    return this.terminate({ event: 'end', data });
  }

  /** An error may be the only event (failure before started is still a well-formed stream). */
  error(data: SseError): boolean {
    if (this.state === 'terminated') return false;
    return this.terminate({ event: 'error', data });
  }

  /** Closes the transport without an event (client already gone). */
  abandon(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.sink.end();
  }

  private terminate(ev: SseEvent): boolean {
    this.state = 'terminated';
    this.emit(ev);
    this.sink.end();
    return true;
  }

  private requireStarted(what: string): void {
    if (this.state === 'idle') throw new StreamGrammarError(`${what} before started`);
  }

  private emit(ev: SseEvent): void {
    this.sink.write(formatSseEvent(ev, this.nextEventId++));
  }
}
