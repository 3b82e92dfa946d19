// Enforces the stream grammar started → token* → metrics* → exactly one terminal (end | error)
// and nothing after it (ORCH-2027, ORCH-2028, ORCH-2029). Token indices are assigned here, so
// they are consecutive from 0 by construction.
import { formatSseEvent, type SseEventName } from './framing.js';

export interface SseSink {
  write(chunk: string): void;
  end(): void;
}

export interface StartedData {
  queue_position: number;
  predicted_start_ms: number;
}

export interface EndData {
  tokens_out: number;
  decode_time_ms: number;
  reason: 'stop' | 'length' | 'canceled';
}

export interface ErrorData {
  code: string;
  message: string;
  engine: string;
  retriable: boolean;
  retry_after_ms?: number;
}

export type WriterState = 'idle' | 'streaming' | 'terminated';

export class StreamGrammarError extends Error {
  override readonly name = 'StreamGrammarError';
}

export class SseStreamWriter {
  private state: WriterState = 'idle';
  private nextIndex = 0;

  constructor(private readonly sink: SseSink) {}

  get status(): WriterState {
    return this.state;
  }

  get tokensWritten(): number {
    return this.nextIndex;
  }

  started(data: StartedData): void {
    if (this.state !== 'idle') throw new StreamGrammarError(`started after ${this.state}`);
    this.state = 'streaming';
    this.emit('started', data);
  }

  /** Returns false (and writes nothing) once the stream is terminated: late tokens are dropped. */
  token(text: string): boolean {
    if (this.state === 'terminated') return false;
    this.requireStarted('token');
    this.emit('token', { t: text, i: this.nextIndex });
    this.nextIndex += 1;
    return true;
  }

  metrics(data: Record<string, unknown>): boolean {
    if (this.state === 'terminated') return false;
    this.requireStarted('metrics');
    this.emit('metrics', data);
    return true;
  }

  end(data: EndData): boolean {
    return this.terminate('end', data);
  }

  error(data: ErrorData): boolean {
    return this.terminate('error', data);
  }

  /** Closes the transport without an event (client already gone). */
  abandon(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.sink.end();
  }

  private terminate(name: 'end' | 'error', data: EndData | ErrorData): boolean {
    if (this.state === 'terminated') return false;
    // A failure before `started` still gets a well-formed stream: the terminal may come first
    // only for errors; an end always follows started.
    if (this.state === 'idle' && name === 'end') throw new StreamGrammarError('end before started');
    this.state = 'terminated';
    this.emit(name, data);
    this.sink.end();
    return true;
  }

  private requireStarted(what: string): void {
    if (this.state === 'idle') throw new StreamGrammarError(`${what} before started`);
  }

  private emit(name: SseEventName, data: unknown): void {
    this.sink.write(formatSseEvent(name, data));
  }
}
