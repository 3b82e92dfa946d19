// ORCH-4030: the admission journal. Every task placement answered 202 for is appended here before
// the 202 leaves, and every terminal event after core emits it; at start placement replays the
// tasks that have no terminal record, so a crash (kill -9) loses no accepted task and a task never
// ends twice. An append-only table in SQLite (better-sqlite3, WAL); the only I/O of admission.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { TaskSpecInput, TaskText } from '@llama-orch/core';

/**
 * SQLite's `synchronous` in WAL mode (ORCH-4030):
 * - `full`: the WAL is fsync'ed at every commit, so an admitted task survives a power loss or a
 *   kernel crash too. The default.
 * - `normal`: the WAL is fsync'ed only at checkpoints; a committed admission survives a crash of
 *   placement itself (kill -9), not of the machine.
 */
export type JournalSync = 'full' | 'normal';

/** What `onError` reports: a terminal record not written, or a held text not read back. */
type JournalFailure = 'terminal not recorded' | 'held text not read';

interface JournalOptions {
  /** A file path, or ':memory:' (unit tests: the same code, nothing outlives the process). */
  readonly path: string;
  readonly synchronous?: JournalSync;
  /** Wall clock for record times (deadline accounting across a restart); default Date.now. */
  readonly wallClock?: () => number;
  /** Terminal records kept this long after a task ended, to refuse ending it again (default 1 h). */
  readonly terminalRetentionMs?: number;
  /** A terminal record could not be written (it is not retried), or a held text not read. */
  readonly onError?: (error: unknown, taskId: string, what: JournalFailure) => void;
}

/** What admission knew about a task: enough to admit it again after a restart. */
interface AdmittedTask {
  readonly spec: TaskSpecInput;
  readonly tenant: string;
  readonly pinned: boolean;
  readonly api: 'orchqueue' | 'openai';
  /** Wall-clock ms when placement admitted it (for the deadline left after a restart). */
  readonly admittedAtWall: number;
}

/** What `admitIf` answers: the admission's result and, for an accepted task, its commit. */
export interface JournaledAdmission<R> {
  readonly value: R;
  /**
   * Settles when the group commit that carries the record is done: resolved once SQLite committed
   * it (with `synchronous: full`, once it is on disk), rejected when that commit failed. Absent
   * when the task was refused (no record).
   */
  readonly committed?: Promise<void>;
}

/** The admissions of one event-loop turn, committed together (one fsync). */
interface Batch {
  readonly ids: string[];
  readonly committed: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface TerminalRecord {
  readonly state: string;
  readonly code?: string;
}

interface JournalReplay {
  /** Tasks admitted and not ended, in admission order. */
  readonly open: AdmittedTask[];
  /** How many records the file held (a restart log line). */
  readonly records: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS journal (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id TEXT    NOT NULL,
  kind    TEXT    NOT NULL CHECK (kind IN ('admitted', 'terminal')),
  at      INTEGER NOT NULL,
  body    TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_task ON journal (task_id);
CREATE INDEX IF NOT EXISTS journal_terminal_at ON journal (at) WHERE kind = 'terminal';
`;

/** Thrown inside an admission transaction to roll it back (the task was refused). */
const ROLLBACK = Symbol('rollback');

/**
 * Issue 19: SQLite's page cache for the journal, in KiB. better-sqlite3 builds SQLite with a 16 MB
 * default; that cache fills as the table grows, and with 100,000 queued tasks it was ~13 MiB of
 * placement's resident memory (147 → 133 MiB in `npm run bench:scale -- --only rss`). Admission
 * appends and reads back recent rows, which the OS page cache serves just as well: submit latency
 * (`npm run bench:journal`) and the admission rate stayed within their run-to-run spread. What it
 * costs is CPU on the task_id index's random pages: a terminal record took ~170 µs instead of
 * ~120 µs (4 MiB: ~145 µs) in a CPU profile of 2,000 streams, about 1 % of placement's CPU per task.
 */
const CACHE_KIB = 1024;

/** Compaction runs after this many terminal records (and once at open). */
const COMPACT_EVERY = 5_000;

export class AdmissionJournal {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[string, string, number, string]>;
  private readonly compactStmt: Database.Statement<[number]>;
  private readonly bodyStmt: Database.Statement<[string], { body: string }>;
  /** The text read last: a prompt-reading scorer and then the dispatch ask for the same task. */
  private lastText: { readonly id: string; readonly text: TaskText } | undefined;
  private readonly wall: () => number;
  private readonly retentionMs: number;
  private readonly onError: (error: unknown, taskId: string, what: JournalFailure) => void;
  private batch: Batch | undefined;
  /** Tasks that ended recently (file and this run) → wall ms of the end: a second end is refused. */
  private readonly ended = new Map<string, number>();
  private sinceCompact = 0;
  private closed = false;
  /** `synchronous: full`: admissions fsync; terminal records are committed without (below). */
  private readonly syncFull: boolean;

  constructor(options: JournalOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`cache_size = -${CACHE_KIB}`);
    this.syncFull = (options.synchronous ?? 'full') === 'full';
    this.db.pragma(`synchronous = ${this.syncFull ? 'FULL' : 'NORMAL'}`);
    this.db.exec(SCHEMA);
    this.wall = options.wallClock ?? Date.now;
    this.retentionMs = options.terminalRetentionMs ?? 3_600_000;
    this.onError = options.onError ?? (() => undefined);
    this.insert = this.db.prepare(
      'INSERT INTO journal (task_id, kind, at, body) VALUES (?, ?, ?, ?)',
    );
    this.bodyStmt = this.db.prepare(
      "SELECT body FROM journal WHERE task_id = ? AND kind = 'admitted' ORDER BY seq DESC LIMIT 1",
    );
    // Drop whole histories of tasks that ended before the retention horizon.
    this.compactStmt = this.db.prepare(
      `DELETE FROM journal WHERE task_id IN
         (SELECT task_id FROM journal WHERE kind = 'terminal' AND at < ?)`,
    );
  }

  /** Read the file: the open tasks to admit again. Call once, before any append. */
  replay(): JournalReplay {
    this.compact();
    const rows = this.db
      .prepare('SELECT task_id, kind, at, body FROM journal ORDER BY seq')
      .all() as { task_id: string; kind: string; at: number; body: string }[];
    const admitted = new Map<string, AdmittedTask>();
    for (const row of rows) {
      if (row.kind === 'admitted') {
        admitted.set(row.task_id, JSON.parse(row.body) as AdmittedTask);
      } else {
        admitted.delete(row.task_id);
        this.ended.set(row.task_id, row.at);
      }
    }
    return { open: [...admitted.values()], records: rows.length };
  }

  /**
   * Append an admission and commit it before returning (with `synchronous: full`, on disk). Throws
   * when the store cannot write. For tools and tests; admission itself uses `admitIf`.
   */
  admitted(task: Omit<AdmittedTask, 'admittedAtWall'>): void {
    this.admitIf(
      task,
      () => true,
      (ok) => ok,
    );
    const error = this.flush();
    if (error !== undefined) throw error;
  }

  /**
   * Admission and its record in one savepoint: the record is inserted, `admit` runs (core's
   * admission), and the record stays only when `accepted(result)`; a refused task leaves no record
   * (a rollback to the savepoint). Throws when the insert fails, before `admit` ran.
   *
   * Issue 19, group commit: the savepoint lives in a transaction shared by every admission of this
   * event-loop turn, committed at `setImmediate` with one fsync. A 202 must wait for
   * `committed`; 64 clients submitting at once then wait for one fsync (~2 ms on this VM) instead
   * of queueing behind 64 of them, one after another, on the event loop. When the commit fails,
   * `committed` rejects and the caller takes the task back (see TaskService.submit).
   */
  admitIf<R>(
    task: Omit<AdmittedTask, 'admittedAtWall'>,
    admit: () => R,
    accepted: (result: R) => boolean,
  ): JournaledAdmission<R> {
    const id = task.spec.task_id;
    const record: AdmittedTask = { ...task, admittedAtWall: this.wall() };
    const batch = this.batch ?? this.openBatch();
    let result: { value: R } | undefined;
    try {
      this.db.transaction(() => {
        this.insert.run(id, 'admitted', record.admittedAtWall, JSON.stringify(record));
        result = { value: admit() };
        if (!accepted(result.value)) throw ROLLBACK;
      })();
    } catch (error) {
      if (error === ROLLBACK && result) return { value: result.value };
      throw error;
    }
    batch.ids.push(id);
    return { value: (result as { value: R }).value, committed: batch.committed };
  }

  /**
   * Commit the open batch now (also what `setImmediate` runs). Returns the error when the commit
   * failed: the batch's admitted records are then gone, and its `committed` promise rejected.
   */
  flush(): unknown {
    const batch = this.batch;
    if (!batch) return undefined;
    this.batch = undefined;
    try {
      this.db.exec('COMMIT');
    } catch (error) {
      try {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      } catch {
        // The connection is broken either way; the batch is reported failed below.
      }
      batch.reject(error);
      return error;
    }
    batch.resolve();
    return undefined;
  }

  private openBatch(): Batch {
    let resolve: () => void = () => undefined;
    let reject: (error: unknown) => void = () => undefined;
    const committed = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A caller that never awaits (`admitted`) must not leave an unhandled rejection behind.
    committed.catch(() => undefined);
    this.db.exec('BEGIN');
    const batch: Batch = { ids: [], committed, resolve, reject };
    this.batch = batch;
    setImmediate(() => {
      if (this.batch === batch && !this.closed) this.flush();
    });
    return batch;
  }

  /**
   * Append a terminal event for a journaled task (the caller knows which tasks it journaled: an
   * admission that `admitIf` accepted, or one `replay` returned). Returns false (and writes
   * nothing) when the task already ended, in this run or in the file within retention: that is
   * what makes "ends once" hold across restarts. Issue 19: the journal keeps no set of open tasks
   * (100,000 queued tasks would hold one entry each); the file is where that set lives.
   */
  terminal(taskId: string, record: TerminalRecord): boolean {
    if (this.closed || this.ended.has(taskId)) return false;
    const at = this.wall();
    try {
      const write = (): void => {
        this.insert.run(taskId, 'terminal', at, JSON.stringify(record));
      };
      // Inside an open batch the record rides its commit (and its fsync).
      if (this.batch) write();
      else this.withoutFsync(write);
    } catch (error) {
      // The end happened whatever the disk says: never break the caller's event delivery. The
      // task stays open in the file, so a restart would queue it again (at least once, not lost).
      this.onError(error, taskId, 'terminal not recorded');
      return false;
    }
    this.ended.set(taskId, at);
    if (++this.sinceCompact >= COMPACT_EVERY) this.compact();
    return true;
  }

  /**
   * Issue 19: a terminal record is committed without an fsync of its own, also under
   * `synchronous: full`. Each one blocked the event loop for an fsync (~2 ms here; 64 streams
   * ending together stalled placement ~100 ms). The record is in the WAL at once, so a crash of
   * placement keeps it; it reaches the disk with the next admission's fsync (the WAL is one file)
   * or the next checkpoint. Only a machine crash in between can lose it, and then the task is
   * queued again: at least once, never lost.
   */
  private withoutFsync(write: () => void): void {
    if (!this.syncFull) {
      write();
      return;
    }
    // Not a statement prepared once: SQLite applies `synchronous` when it compiles the pragma.
    this.db.pragma('synchronous = NORMAL');
    try {
      write();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /**
   * Issue 19: a journaled task's prompt and correlation id, read back from its admitted record
   * (core's `heldText`: core keeps neither for a journaled task, so 100,000 queued tasks hold no
   * prompts in placement's memory). The record is in the file (or in this turn's open batch, which
   * the same connection reads) from admission until compaction, an hour after the task ended.
   * A record that cannot be read is reported to `onError` and answers an empty text: core asks
   * inside its dispatch loop, which must go on for every other task.
   */
  readonly heldText = (taskId: string): TaskText => {
    const last = this.lastText;
    if (last?.id === taskId) return last.text;
    let text: TaskText = { prompt: '', correlation_id: '' };
    try {
      const row = this.bodyStmt.get(taskId);
      if (!row) throw new Error('no admitted record');
      const { spec } = JSON.parse(row.body) as AdmittedTask;
      text = { prompt: spec.prompt ?? '', correlation_id: spec.correlation_id ?? '' };
      this.lastText = { id: taskId, text };
    } catch (error) {
      this.onError(error, taskId, 'held text not read');
    }
    return text;
  };

  /** The task has a terminal record (this run, or in the file at start within retention). */
  hasEnded(taskId: string): boolean {
    return this.ended.has(taskId);
  }

  /**
   * The task's admission is committed and it has not ended (tests and tools: a query, not kept in
   * memory). An admission still in the open batch is not open yet.
   */
  isOpen(taskId: string): boolean {
    if (this.batch?.ids.includes(taskId)) return false;
    const last = this.db
      .prepare('SELECT kind FROM journal WHERE task_id = ? ORDER BY seq DESC LIMIT 1')
      .get(taskId) as { kind: string } | undefined;
    return last?.kind === 'admitted';
  }

  /** How many tasks are open (tests and tools; see isOpen). */
  get openCount(): number {
    const ids = this.db
      .prepare(
        `SELECT task_id FROM journal j WHERE kind = 'admitted' AND NOT EXISTS
           (SELECT 1 FROM journal t WHERE t.task_id = j.task_id AND t.kind = 'terminal')`,
      )
      .all() as { task_id: string }[];
    const pending = new Set(this.batch?.ids);
    return ids.filter((r) => !pending.has(r.task_id)).length;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }

  private compact(): void {
    this.sinceCompact = 0;
    const horizon = this.wall() - this.retentionMs;
    this.compactStmt.run(horizon);
    for (const [id, at] of this.ended) if (at < horizon) this.ended.delete(id);
  }
}
