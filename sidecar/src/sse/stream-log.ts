// ORCH-4032: resumable streams. Every event a lease's OrchQueue stream writes is kept here by id
// (its position in the stream), and the live HTTP response is only a subscriber. A client whose
// connection broke reconnects with Last-Event-ID and is attached again: the events after that id
// first, then live ones — none lost, none repeated. While no client is attached the engine keeps
// generating into the log for at most the resume window; then the stream is given up (the engine
// request is aborted, as a client disconnect always did). A finished stream stays resumable for
// the same window, so a client that missed the end can still read it.
import type { SseSink } from './stream-writer.js';

/** The events of one stream, by id, and the client currently reading them. */
export class StreamLog implements SseSink {
  private readonly frames: string[] = [];
  private reader: SseSink | undefined;
  private finished = false;

  /** The writer's sink: keep the framed event, pass it to the attached client. */
  write(frame: string): void {
    this.frames.push(frame);
    this.reader?.write(frame);
  }

  /** The writer ended the stream (a terminal event, or abandon). */
  end(): void {
    this.finished = true;
    this.reader?.end();
    this.reader = undefined;
  }

  get ended(): boolean {
    return this.finished;
  }

  /** The id the next event gets (= how many were written). */
  get nextId(): number {
    return this.frames.length;
  }

  get attached(): SseSink | undefined {
    return this.reader;
  }

  /**
   * Attach `reader` after event `afterId` (-1: from the start): it receives every later event,
   * then live ones. A previous reader is ended first (one reader per stream). Returns false,
   * attaching nothing, when `afterId` is an id this stream never sent.
   */
  attach(reader: SseSink, afterId: number): boolean {
    if (afterId >= this.frames.length) return false;
    if (this.reader && this.reader !== reader) this.reader.end();
    this.reader = undefined;
    for (let id = afterId + 1; id < this.frames.length; id++) reader.write(this.frames[id] ?? '');
    if (this.finished) reader.end();
    else this.reader = reader;
    return true;
  }

  /** `reader` went away; returns whether it was the attached one. */
  detach(reader: SseSink): boolean {
    if (this.reader !== reader) return false;
    this.reader = undefined;
    return true;
  }
}

interface Entry {
  readonly taskId: string;
  readonly log: StreamLog;
  /** Ends the stream for good (the engine request is aborted). */
  readonly giveUp: () => void;
  timer: NodeJS.Timeout | undefined;
}

type ResumeFailure = 'unknown' | 'task_mismatch' | 'bad_id';

/** The resumable streams of this sidecar, by lease id. */
export class ResumableStreams {
  private readonly entries = new Map<string, Entry>();

  /** `windowMs` 0 turns resuming off: a client that leaves ends its stream at once. */
  constructor(readonly windowMs: number) {}

  /** Register a new stream; `giveUp` aborts it when its client does not come back in time. */
  open(leaseId: string, taskId: string, log: StreamLog, giveUp: () => void): void {
    this.forget(leaseId);
    this.entries.set(leaseId, { taskId, log, giveUp, timer: undefined });
  }

  /**
   * The attached client went away. Within the window the stream goes on into its log; after it,
   * the stream is given up. A finished stream is kept for the window, then dropped.
   */
  clientLeft(leaseId: string, reader: SseSink): void {
    const entry = this.entries.get(leaseId);
    if (!entry || !entry.log.detach(reader)) return;
    if (entry.log.ended) return this.retain(leaseId, entry);
    if (this.windowMs <= 0) {
      this.forget(leaseId);
      entry.giveUp();
      return;
    }
    this.arm(leaseId, entry, () => {
      if (entry.log.attached) return;
      this.forget(leaseId);
      entry.giveUp();
    });
  }

  /** The stream's writer finished (end or error event written): keep it for late readers. */
  finished(leaseId: string): void {
    const entry = this.entries.get(leaseId);
    if (entry) this.retain(leaseId, entry);
  }

  /** Why a resume of the lease's stream after `afterId` would be refused; undefined: it would not. */
  check(
    leaseId: string,
    taskId: string,
    afterId: number,
  ): { reason: ResumeFailure; nextId?: number } | undefined {
    const entry = this.entries.get(leaseId);
    if (!entry) return { reason: 'unknown' };
    if (entry.taskId !== taskId) return { reason: 'task_mismatch' };
    if (afterId >= entry.log.nextId) return { reason: 'bad_id', nextId: entry.log.nextId };
    return undefined;
  }

  /** Attach a reconnecting client after `afterId` (check() first); false when refused. */
  resume(leaseId: string, afterId: number, reader: SseSink): boolean {
    const entry = this.entries.get(leaseId);
    if (!entry || afterId >= entry.log.nextId) return false;
    if (!entry.log.ended) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
    return entry.log.attach(reader, afterId);
  }

  /** The id the next event of the lease's stream gets, if the stream is known. */
  nextId(leaseId: string): number | undefined {
    return this.entries.get(leaseId)?.log.nextId;
  }

  has(leaseId: string): boolean {
    return this.entries.has(leaseId);
  }

  /** Drop every stream (shutdown): timers must not outlive the server. */
  close(): void {
    for (const leaseId of [...this.entries.keys()]) this.forget(leaseId);
  }

  private retain(leaseId: string, entry: Entry): void {
    if (this.windowMs <= 0) return this.forget(leaseId);
    this.arm(leaseId, entry, () => this.forget(leaseId));
  }

  private arm(leaseId: string, entry: Entry, fire: () => void): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(fire, this.windowMs);
    entry.timer.unref();
    this.entries.set(leaseId, entry);
  }

  private forget(leaseId: string): void {
    const entry = this.entries.get(leaseId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.entries.delete(leaseId);
  }
}
