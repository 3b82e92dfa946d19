import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { TaskSpecInput } from '@llama-orch/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AdmissionJournal } from './journal.js';

const spec = (id: string): TaskSpecInput => ({
  task_id: id,
  model_ref: 'm',
  engine: 'llamacpp',
  ctx: 512,
  priority: 'interactive',
  max_tokens: 8,
  prompt: `prompt of ${id}`,
});

const admit = (j: AdmissionJournal, id: string): void =>
  j.admitted({ spec: spec(id), tenant: 'acme', pinned: false, api: 'orchqueue' });

describe('ORCH-4030: admission journal (SQLite, WAL)', () => {
  let dir: string;
  const journals: AdmissionJournal[] = [];
  const open = (path = join(dir, 'j.sqlite')): AdmissionJournal => {
    const j = new AdmissionJournal({ path });
    journals.push(j);
    return j;
  };
  afterEach(() => {
    for (const j of journals.splice(0)) j.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ORCH-4030: a reopened journal replays exactly the tasks admitted and not ended, in order', () => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const a = open();
    expect(a.replay().open).toEqual([]);
    for (const id of ['t1', 't2', 't3', 't4']) admit(a, id);
    expect(a.terminal('t2', { state: 'completed' })).toBe(true);
    expect(a.terminal('t4', { state: 'canceled' })).toBe(true);
    a.close();
    const b = open();
    const replay = b.replay();
    expect(replay.open.map((t) => [t.spec.task_id, t.tenant, t.spec.prompt])).toEqual([
      ['t1', 'acme', 'prompt of t1'],
      ['t3', 'acme', 'prompt of t3'],
    ]);
    expect(replay.open[0]?.admittedAtWall).toBeTypeOf('number');
    expect(b.hasEnded('t2')).toBe(true);
    expect(b.isOpen('t1')).toBe(true);
  });

  it("issue 19: heldText reads a task's prompt and correlation id back from its admitted record; a missing record is reported, not thrown", () => {
    const failures: [string, string][] = [];
    const j = new AdmissionJournal({
      path: ':memory:',
      onError: (_error, taskId, what) => failures.push([taskId, what]),
    });
    journals.push(j);
    j.replay();
    j.admitted({
      spec: { ...spec('h1'), correlation_id: 'corr-h1' },
      tenant: 'acme',
      pinned: false,
      api: 'orchqueue',
    });
    admit(j, 'h2');
    expect(j.heldText('h1')).toEqual({ prompt: 'prompt of h1', correlation_id: 'corr-h1' });
    expect(j.heldText('h2')).toEqual({ prompt: 'prompt of h2', correlation_id: '' });
    expect(j.heldText('h1').prompt).toBe('prompt of h1');
    expect(failures).toEqual([]);
    expect(j.heldText('ghost')).toEqual({ prompt: '', correlation_id: '' });
    expect(failures).toEqual([['ghost', 'held text not read']]);
  });

  it('ORCH-4030: a task ends once: a second terminal writes nothing, also after a restart', () => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const a = open();
    a.replay();
    admit(a, 't1');
    expect(a.terminal('t1', { state: 'completed' })).toBe(true);
    expect(a.terminal('t1', { state: 'failed', code: 'WORKER_RESET' })).toBe(false);
    a.close();
    const b = open();
    expect(b.replay()).toEqual({ open: [], records: 2 });
    // After the restart the ended task still cannot end again.
    expect(b.terminal('t1', { state: 'completed' })).toBe(false);
  });

  it('ORCH-4030: under synchronous full a terminal record commits without an fsync of its own; admissions still fsync', () => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const a = open();
    a.replay();
    admit(a, 't1');
    const db = (a as unknown as { db: Database.Database }).db;
    // The `synchronous` level each INSERT ran under (1 = NORMAL: no fsync at its commit).
    const levels: unknown[] = [];
    const statement = Object.getPrototypeOf(db.prepare('SELECT 1')) as Database.Statement;
    const run = statement.run;
    const spy = vi.spyOn(statement, 'run').mockImplementation(function (
      this: Database.Statement,
      ...args: unknown[]
    ) {
      if (this.source.startsWith('INSERT')) levels.push(db.pragma('synchronous', { simple: true }));
      return run.apply(this, args);
    });
    try {
      expect(a.terminal('t1', { state: 'completed' })).toBe(true);
      expect(levels).toEqual([1]);
    } finally {
      spy.mockRestore();
    }
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL for the next admission
    // Not fsync'ed, but committed: the next reader sees it (kill -9 is covered below).
    const b = open();
    expect(b.replay()).toEqual({ open: [], records: 2 });
  });

  it('ORCH-4030: the admissions of one event-loop turn share one commit; each is durable only when it settles', async () => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const a = open();
    a.replay();
    const exec = vi.spyOn(Database.prototype, 'exec');
    try {
      const admitted = Array.from({ length: 64 }, (_, i) =>
        a.admitIf(
          { spec: spec(`g${i}`), tenant: 'acme', pinned: false, api: 'orchqueue' },
          () => i,
          (n) => n !== 7, // g7 is refused: no record, no commit of its own
        ),
      );
      expect(admitted[7]?.committed).toBeUndefined();
      // Nothing is open (nor answered) before the commit.
      expect(a.isOpen('g0')).toBe(false);
      // g3 ends (a drop-lru of the same turn) before its record is committed.
      expect(a.terminal('g3', { state: 'canceled' })).toBe(true);
      await Promise.all(admitted.map((x) => x.committed));
      expect(exec.mock.calls.filter((c) => c[0] === 'COMMIT')).toHaveLength(1);
      expect([a.isOpen('g0'), a.isOpen('g3'), a.isOpen('g7'), a.hasEnded('g3')]).toEqual([
        true,
        false,
        false,
        true,
      ]);
    } finally {
      exec.mockRestore();
    }
    a.close();
    const ids = open()
      .replay()
      .open.map((t) => t.spec.task_id);
    expect(ids).toHaveLength(62);
    expect(ids).not.toContain('g3');
    expect(ids).not.toContain('g7');
  });

  it('ORCH-4030: a failed group commit rejects every admission of the batch and leaves none in the file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const a = open();
    a.replay();
    const real = Database.prototype.exec;
    const exec = vi.spyOn(Database.prototype, 'exec').mockImplementation(function (
      this: Database.Database,
      sql: string,
    ) {
      if (sql === 'COMMIT') throw new Error('SQLITE_IOERR: disk I/O error');
      return real.call(this, sql);
    });
    const batch = ['f1', 'f2'].map(
      (id) =>
        a.admitIf(
          { spec: spec(id), tenant: 'acme', pinned: false, api: 'orchqueue' },
          () => true,
          (ok) => ok,
        ).committed,
    );
    try {
      for (const committed of batch) await expect(committed).rejects.toThrow(/SQLITE_IOERR/);
    } finally {
      exec.mockRestore();
    }
    expect([a.isOpen('f1'), a.openCount]).toEqual([false, 0]);
    admit(a, 'f3'); // the next batch commits normally
    a.close();
    expect(
      open()
        .replay()
        .open.map((t) => t.spec.task_id),
    ).toEqual(['f3']);
  });

  it('ORCH-4030: ":memory:" keeps the same semantics without a file', () => {
    const j = new AdmissionJournal({ path: ':memory:' });
    journals.push(j);
    j.replay();
    admit(j, 'x');
    expect(j.openCount).toBe(1);
    expect(j.terminal('x', { state: 'completed' })).toBe(true);
    expect(j.openCount).toBe(0);
  });

  it('ORCH-4030: what a process committed before kill -9 is replayed by the next one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const path = join(dir, 'j.sqlite');
    const script = join(dir, 'writer.ts');
    const journalModule = fileURLToPath(new URL('./journal.ts', import.meta.url));
    writeFileSync(
      script,
      `import { AdmissionJournal } from ${JSON.stringify(journalModule)};
const j = new AdmissionJournal({ path: ${JSON.stringify(path)} });
j.replay();
for (let i = 0; i < 50; i++) j.admitted({ spec: { task_id: 'k' + i, model_ref: 'm', engine: 'llamacpp', ctx: 512, priority: 'batch', max_tokens: 1 }, tenant: 't', pinned: false, api: 'orchqueue' });
for (let i = 0; i < 50; i += 2) j.terminal('k' + i, { state: 'completed' });
process.stdout.write('committed\\n');
setInterval(() => undefined, 1000);
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('committed')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL'); // no close(), no checkpoint: only what the WAL holds
    await exited;
    const replay = open(path).replay();
    expect(replay.open.map((t) => t.spec.task_id)).toEqual(
      Array.from({ length: 25 }, (_, i) => `k${2 * i + 1}`),
    );
  }, 30_000);
});
