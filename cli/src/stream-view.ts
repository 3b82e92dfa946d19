// Renders a task's event stream. Human mode: tokens on stdout as they arrive, a spinner with the
// queue position and predicted start on a TTY while queued, and one summary line on stderr
// (tokens, TTFT, decode time). JSON mode (--json): one {"event","data"} object per line.
import type { AdmissionResponse, SseEvent } from '@llama-orch/contracts';
import { EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { duration } from './format.js';
import type { CliIo } from './io.js';
import { renderStreamError } from './render-error.js';
import { Spinner } from './spinner.js';

interface StreamViewOptions {
  readonly json: boolean;
  /** From the 202 of `run`: lets the spinner show the queue position before the stream opens. */
  readonly admission?: AdmissionResponse;
}

export class StreamView {
  private readonly startedAt: number;
  private readonly spinner: Spinner | undefined;
  private firstTokenAt: number | undefined;
  private tokens = 0;
  private lastText = '';

  constructor(
    private readonly io: CliIo,
    private readonly o: StreamViewOptions,
  ) {
    this.startedAt = io.now();
    this.spinner =
      !o.json && io.stderr.isTTY ? new Spinner(io.stderr, io.spinnerIntervalMs) : undefined;
  }

  /** Before the first event: the task waits in its queue (the edge holds the request). */
  waiting(taskId: string): void {
    const a = this.o.admission;
    this.spinner?.update(
      a
        ? `queued · position ${a.queue_position} · predicted start ~${duration(a.predicted_start_ms)} · ${taskId}`
        : `waiting for a replica · ${taskId}`,
    );
  }

  /** Returns the exit code once the terminal event arrived, else undefined. */
  event(e: SseEvent): ExitCode | undefined {
    if (e.event === 'token' && this.firstTokenAt === undefined) this.firstTokenAt = this.io.now();
    if (e.event === 'token') this.tokens += 1;
    if (this.o.json) {
      this.io.stdout.write(JSON.stringify({ event: e.event, data: e.data }) + '\n');
      return terminalExit(e);
    }
    switch (e.event) {
      case 'started':
        this.spinner?.update(
          `started · was position ${e.data.queue_position} · predicted ~${duration(e.data.predicted_start_ms)}`,
        );
        return undefined;
      case 'token':
        this.spinner?.stop();
        this.io.stdout.write(e.data.t);
        this.lastText = e.data.t;
        return undefined;
      case 'metrics':
        return undefined;
      case 'end':
        this.closeText();
        this.io.stderr.write(this.summary(e.data.tokens_out, e.data.decode_time_ms, e.data.reason));
        return e.data.reason === 'canceled' ? EXIT.CANCELED : EXIT.OK;
      case 'error': {
        this.closeText();
        const r = renderStreamError(e.data);
        this.io.stderr.write(r.text);
        return r.exit;
      }
    }
  }

  /** Stop drawing (Ctrl-C or a failure); ends a token line so the shell prompt starts clean. */
  abort(): void {
    this.closeText();
  }

  private closeText(): void {
    this.spinner?.stop();
    if (this.tokens > 0 && !this.lastText.endsWith('\n')) this.io.stdout.write('\n');
    this.lastText = '\n';
  }

  private summary(tokensOut: number, decodeMs: number, reason: string): string {
    const parts = [`${tokensOut} tokens`];
    parts.push(
      this.firstTokenAt === undefined
        ? 'TTFT n/a'
        : `TTFT ${duration(this.firstTokenAt - this.startedAt)}`,
    );
    const rate = decodeMs > 0 ? ` (${((tokensOut * 1000) / decodeMs).toFixed(1)} tok/s)` : '';
    parts.push(`decode ${duration(decodeMs)}${rate}`);
    parts.push(reason);
    return `${reason === 'canceled' ? '✗' : '✓'} ${parts.join(' · ')}\n`;
  }
}

function terminalExit(e: SseEvent): ExitCode | undefined {
  if (e.event === 'end') return e.data.reason === 'canceled' ? EXIT.CANCELED : EXIT.OK;
  if (e.event === 'error') return renderStreamError(e.data).exit;
  return undefined;
}
