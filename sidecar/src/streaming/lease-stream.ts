// One routed stream: drives the engine through the adapter seam and writes our SSE events.
// Cancel (placement) or client disconnect aborts the engine request; the terminal event for a
// cancel is written at the moment the cancel is received, so no token can follow it
// (ORCH-3026, ORCH-4013). Engine failures become coded error events (ORCH-2028, ORCH-4014).
import { resolveSeed } from '@llama-orch/core';
import type { LeaseFinished, TaskSpec } from '@llama-orch/proto';
import type { EngineAdapter, GenerationOutcome, GenerationRequest } from '../adapters/types.js';
import type { Lease } from '../control/lease-store.js';
import type { AbortReason } from '../http/metrics.js';
import type { TaskEventWriter } from '../sse/stream-writer.js';
import type { PromptFormat, SseMetrics } from '@llama-orch/contracts';

interface LeaseStreamDeps {
  adapter: EngineAdapter;
  defaultSamplerProfile: string;
  now: () => number;
  onStarted(lease: Lease): void;
  /** The stream ended early; `reason` is a sidecar_stream_aborts_total label value. */
  onAborted(reason: AbortReason): void;
  onFinished(lease: Lease, finished: LeaseFinished): void;
  /** The engine connection broke (WORKER_RESET): the replica should turn unready. */
  onEngineFailure(reason: string): void;
  /** Idle watchdog (ORCH-3016): no engine event for this long → DECODE_TIMEOUT. 0 disables. */
  idleTimeoutMs: number;
  /** Before the first token (prefill emits nothing) the watchdog allows this long instead. */
  firstTokenTimeoutMs?: number;
}

/**
 * ORCH-3105: what an OpenAI request asks beyond the Assign (its conversation or raw prompt, and
 * its sampling); seed and max_tokens always come from the Assign, as placement resolved them.
 */
/** The Assign's prompt format (ORCH-3102): empty or unknown means raw. */
export function promptFormatOf(task: Pick<TaskSpec, 'promptFormat'>): PromptFormat {
  return task.promptFormat === 'chat' ? 'chat' : 'raw';
}

export type RequestOverrides = Partial<
  Pick<GenerationRequest, 'prompt' | 'promptFormat' | 'messages' | 'sampling' | 'preparedPrompt'>
>;

export class LeaseStream {
  private readonly ac = new AbortController();
  private canceledBy: string | undefined;
  private startAt = 0;
  private firstTokenAt: number | undefined;
  private lastTokenAt: number | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private watchdogLimit = 0;
  private wallTimer: NodeJS.Timeout | undefined;
  /** Why the watchdog ended the stream (DECODE_TIMEOUT's message); undefined while it has not. */
  private watchdogFired: string | undefined;

  constructor(
    private readonly lease: Lease,
    private readonly writer: TaskEventWriter,
    private readonly deps: LeaseStreamDeps,
    private readonly overrides: RequestOverrides = {},
  ) {}

  /** Placement's Cancel (or drain): end the client stream now, then abort the engine. */
  cancel(reason: string, kind: 'cancel' | 'drain' = 'cancel'): void {
    if (this.canceledBy !== undefined || this.writer.status === 'terminated') return;
    this.canceledBy = reason;
    this.deps.onAborted(kind);
    this.writer.end({
      tokens_out: this.writer.tokensWritten,
      decode_time_ms: this.decodeMs(),
      reason: 'canceled',
    });
    this.ac.abort();
  }

  /** The client went away: nothing more can be written; abort the engine. */
  clientGone(): void {
    if (this.canceledBy !== undefined || this.writer.status === 'terminated') return;
    this.canceledBy = 'client disconnected';
    this.deps.onAborted('client_disconnect');
    this.writer.abandon();
    this.ac.abort();
  }

  async run(): Promise<void> {
    const task = this.lease.task;
    this.startAt = this.deps.now();
    // Canceled between Assign and the stream request: no engine call; the stream still ends
    // well-formed (started, then the cancel's end).
    const canceledEarly = this.lease.canceled;
    if (canceledEarly !== undefined) this.ac.abort();
    // Issue 19: the engine request leaves first, and the client's `started` event and placement's
    // LeaseStarted are sent while the engine works on it. An async generator runs up to its first
    // await (the POST) when next() is called; node:http writes that request on the next tick,
    // once its keep-alive socket is assigned, so the bookkeeping waits one tick behind it.
    const generation = this.deps.adapter.generate({
      prompt: task.prompt,
      promptFormat: promptFormatOf(task),
      maxTokens: task.maxTokens,
      seed: resolveSeed(task.taskId, task.seed),
      samplerProfile: task.samplerProfileVersion || this.deps.defaultSamplerProfile,
      signal: this.ac.signal,
      ...this.overrides,
    });
    const events = generation[Symbol.asyncIterator]();
    const first = events.next();
    await new Promise<void>((resolve) => process.nextTick(resolve));
    this.writer.started({
      queue_position: this.lease.queuePosition,
      predicted_start_ms: this.lease.predictedStartMs,
    });
    this.deps.onStarted(this.lease);
    if (canceledEarly !== undefined) this.cancel(canceledEarly);
    let outcome: GenerationOutcome | undefined;
    this.armWatchdog();
    this.armWallClock();
    try {
      for (let step = await first; !step.done; step = await events.next()) {
        const ev = step.value;
        this.armWatchdog();
        if (ev.type === 'outcome') {
          outcome = ev.outcome;
          continue;
        }
        if (this.canceledBy !== undefined) continue;
        const t = this.deps.now();
        this.firstTokenAt ??= t;
        this.lastTokenAt = t;
        this.writer.token(ev.text);
      }
    } catch (err) {
      outcome = {
        reason: 'error',
        tokensIn: 0,
        tokensOut: this.writer.tokensWritten,
        error: { code: 'INTERNAL', message: `adapter failed: ${String(err)}`, retriable: false },
      };
    }
    clearTimeout(this.watchdog);
    clearTimeout(this.wallTimer);
    this.finish(outcome);
  }

  /** ORCH-3016: placement's `timeouts.idle_ms` when the Assign carries it, else the sidecar's. */
  private get idleMs(): number {
    const fromPlacement = this.lease.task.idleTimeoutMs;
    return fromPlacement > 0 ? fromPlacement : this.deps.idleTimeoutMs;
  }

  private armWatchdog(): void {
    const idle = this.idleMs;
    if (idle <= 0) return;
    const limit =
      this.firstTokenAt === undefined ? Math.max(idle, this.deps.firstTokenTimeoutMs ?? 0) : idle;
    // Per token the same timer is restarted (refresh), not replaced: no allocation per token.
    if (this.watchdog !== undefined && limit === this.watchdogLimit) {
      this.watchdog.refresh();
      return;
    }
    clearTimeout(this.watchdog);
    this.watchdogLimit = limit;
    this.watchdog = setTimeout(
      () => this.fire(`no engine output for ${limit} ms (watchdog, timeouts.idle_ms)`),
      limit,
    );
  }

  /** ORCH-3016: `timeouts.wall_ms` from the Assign bounds the whole stream (0: no bound). */
  private armWallClock(): void {
    const wall = this.lease.task.wallTimeoutMs;
    if (wall <= 0) return;
    this.wallTimer = setTimeout(
      () => this.fire(`the task ran longer than ${wall} ms (watchdog, timeouts.wall_ms)`),
      wall,
    );
  }

  private fire(why: string): void {
    if (this.canceledBy !== undefined || this.watchdogFired !== undefined) return;
    this.watchdogFired = why;
    this.ac.abort();
  }

  private finish(outcome: GenerationOutcome | undefined): void {
    const engine = this.deps.adapter.engine;
    const base = {
      tokensIn: outcome?.tokensIn ?? 0,
      firstTokenMs:
        this.firstTokenAt === undefined ? 0 : Math.round(this.firstTokenAt - this.startAt),
      decodeTimeMs: this.decodeMs(),
    };
    if (this.canceledBy !== undefined) {
      this.deps.onFinished(this.lease, {
        ...base,
        reason: 'canceled',
        errorCode: '',
        tokensOut: this.writer.tokensWritten,
      });
      return;
    }
    if (this.watchdogFired !== undefined) {
      outcome = {
        reason: 'error',
        tokensIn: outcome?.tokensIn ?? 0,
        tokensOut: this.writer.tokensWritten,
        error: {
          code: 'DECODE_TIMEOUT',
          message: this.watchdogFired,
          retriable: true,
        },
      };
    }
    if (!outcome || outcome.reason === 'error' || outcome.reason === 'canceled') {
      const error = outcome?.error ?? {
        code: 'WORKER_RESET' as const,
        message: 'engine stream ended without an outcome',
        retriable: true,
      };
      this.writer.error({
        code: error.code,
        message: error.message,
        engine,
        retriable: error.retriable,
      });
      this.deps.onAborted(this.watchdogFired !== undefined ? 'watchdog' : 'engine_error');
      if (error.code === 'WORKER_RESET') this.deps.onEngineFailure(error.message);
      this.deps.onFinished(this.lease, {
        ...base,
        reason: 'error',
        errorCode: error.code,
        tokensOut: outcome?.tokensOut ?? this.writer.tokensWritten,
      });
      return;
    }
    const signals = this.schedulingSignals();
    if (signals) this.writer.metrics(signals);
    this.writer.usage?.(outcome.tokensIn);
    this.writer.end({
      tokens_out: outcome.tokensOut,
      decode_time_ms: base.decodeTimeMs,
      reason: outcome.reason,
    });
    this.deps.onFinished(this.lease, {
      ...base,
      reason: outcome.reason,
      errorCode: '',
      tokensOut: outcome.tokensOut,
    });
  }

  /** ORCH-3100: what placement knew at dispatch, as one additive metrics event before `end`. */
  private schedulingSignals(): SseMetrics | undefined {
    const l = this.lease;
    const data: SseMetrics = {
      ...(l.onTimeProbability !== undefined ? { on_time_probability: l.onTimeProbability } : {}),
      ...(l.queueDepth !== undefined ? { queue_depth: l.queueDepth } : {}),
      ...(l.kvWarmth !== undefined ? { kv_warmth: l.kvWarmth } : {}),
    };
    return Object.keys(data).length > 0 ? data : undefined;
  }

  private decodeMs(): number {
    if (this.firstTokenAt === undefined) return 0;
    const last =
      this.canceledBy !== undefined ? this.deps.now() : (this.lastTokenAt ?? this.firstTokenAt);
    return Math.max(0, Math.round(last - this.firstTokenAt));
  }
}
