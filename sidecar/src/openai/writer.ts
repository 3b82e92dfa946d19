// ORCH-3103/3105: a lease stream written in OpenAI's shape instead of OrchQueue SSE. Streaming:
// `data: <chunk JSON>` lines (chat.completion.chunk / text_completion), the usage chunk when
// asked (stream_options.include_usage), then `data: [DONE]`. Not streaming: one JSON object at
// the end. Headers go out with the first token (or the terminal event), so a failure before any
// token is still a proper HTTP error status in OpenAI's error shape (ORCH-3106).
import { openAiErrorResponse } from '@llama-orch/contracts';
import type { ErrorCode, SseEnd, SseError, SseMetrics, SseStarted } from '@llama-orch/contracts';
import type { TaskEventWriter, WriterState } from '../sse/stream-writer.js';

/** The HTTP response this writer owns (a Node ServerResponse in the server, a fake in tests). */
export interface HttpOut {
  head(status: number, headers: Record<string, string>): void;
  write(chunk: string): void;
  end(): void;
}

export interface OpenAiWriterOptions {
  route: 'chat' | 'completions';
  stream: boolean;
  includeUsage: boolean;
  /** Task id: the response id is `chatcmpl-<id>` / `cmpl-<id>`. */
  id: string;
  model: string;
  /** The replica set id (system_fingerprint, ORCH-3105). */
  fingerprint: string;
  /** Sent on every answer: correlation id, X-Orch-Seed, the replica id. */
  headers: Record<string, string>;
  nowSec?: () => number;
}

type Finish = 'stop' | 'length';

export class OpenAiWriter implements TaskEventWriter {
  private state: WriterState = 'idle';
  private headSent = false;
  private count = 0;
  private text = '';
  private promptTokens = 0;
  private readonly created: number;

  constructor(
    private readonly out: HttpOut,
    private readonly o: OpenAiWriterOptions,
  ) {
    this.created = (o.nowSec ?? (() => Math.floor(Date.now() / 1000)))();
  }

  get status(): WriterState {
    return this.state;
  }

  get tokensWritten(): number {
    return this.count;
  }

  started(_data: SseStarted): void {
    this.state = 'streaming';
  }

  token(text: string): boolean {
    if (this.state === 'terminated') return false;
    this.count += 1;
    if (!this.o.stream) {
      this.text += text;
      return true;
    }
    this.ensureHead();
    this.chunk(this.o.route === 'chat' ? this.delta(text, this.count === 1) : { text }, null);
    return true;
  }

  /** Scheduling signals have no OpenAI field; the X-Orch headers and logs carry the rest. */
  metrics(_data: SseMetrics): boolean {
    return this.state !== 'terminated';
  }

  usage(tokensIn: number): void {
    this.promptTokens = tokensIn;
  }

  end(data: SseEnd): boolean {
    if (this.state === 'terminated') return false;
    if (data.reason === 'canceled') {
      // Placement canceled the task (cancel, drain deadline): OpenAI has no such finish reason.
      return this.error({
        code: 'POOL_UNAVAILABLE',
        message: 'the task was canceled by placement (cancel or drain)',
        retriable: true,
      });
    }
    const finish: Finish = data.reason === 'length' ? 'length' : 'stop';
    const usage = {
      prompt_tokens: this.promptTokens,
      completion_tokens: data.tokens_out,
      total_tokens: this.promptTokens + data.tokens_out,
    };
    this.state = 'terminated';
    if (!this.o.stream) {
      this.out.head(200, { 'content-type': 'application/json', ...this.o.headers });
      this.out.write(JSON.stringify(this.completion(finish, usage)));
      this.out.end();
      return true;
    }
    this.ensureHead();
    this.chunk(this.o.route === 'chat' ? { delta: {} } : { text: '' }, finish);
    if (this.o.includeUsage) this.write({ ...this.envelope(), choices: [], usage });
    this.out.write('data: [DONE]\n\n');
    this.out.end();
    return true;
  }

  error(data: Pick<SseError, 'code' | 'message' | 'retriable'>): boolean {
    if (this.state === 'terminated') return false;
    this.state = 'terminated';
    const r = openAiErrorResponse({
      code: data.code as ErrorCode,
      message: data.message,
      ...(data.retriable ? { retry_after_ms: 1000 } : {}),
    });
    if (!this.headSent) {
      this.headSent = true;
      this.out.head(r.status, { ...r.headers, ...this.o.headers });
      this.out.write(JSON.stringify(r.body));
    } else {
      // Mid-stream: the status is already 200; OpenAI's SDKs raise an `error` data line.
      this.write(r.body);
    }
    this.out.end();
    return true;
  }

  abandon(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.out.end();
  }

  private ensureHead(): void {
    if (this.headSent) return;
    this.headSent = true;
    this.out.head(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...this.o.headers,
    });
  }

  private delta(text: string, first: boolean): Record<string, unknown> {
    return { delta: first ? { role: 'assistant', content: text } : { content: text } };
  }

  private envelope(): Record<string, unknown> {
    const chat = this.o.route === 'chat';
    return {
      id: `${chat ? 'chatcmpl' : 'cmpl'}-${this.o.id}`,
      object: chat ? 'chat.completion.chunk' : 'text_completion',
      created: this.created,
      model: this.o.model,
      system_fingerprint: this.o.fingerprint,
    };
  }

  private chunk(choice: Record<string, unknown>, finish: Finish | null): void {
    this.write({
      ...this.envelope(),
      choices: [{ index: 0, ...choice, logprobs: null, finish_reason: finish }],
    });
  }

  private write(data: unknown): void {
    this.out.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  private completion(finish: Finish, usage: Record<string, number>): Record<string, unknown> {
    const chat = this.o.route === 'chat';
    return {
      id: `${chat ? 'chatcmpl' : 'cmpl'}-${this.o.id}`,
      object: chat ? 'chat.completion' : 'text_completion',
      created: this.created,
      model: this.o.model,
      system_fingerprint: this.o.fingerprint,
      choices: [
        chat
          ? {
              index: 0,
              message: { role: 'assistant', content: this.text },
              logprobs: null,
              finish_reason: finish,
            }
          : { index: 0, text: this.text, logprobs: null, finish_reason: finish },
      ],
      usage,
    };
  }
}
