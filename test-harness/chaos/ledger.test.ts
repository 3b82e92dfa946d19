// The chaos suite's judge, fed broken histories: each invariant must catch its breach, or the
// suite's green table would mean nothing.
import { describe, expect, it } from 'vitest';
import { faultRow, newLedger, renderTable, taskViolations } from './ledger.js';
import type { TaskLedger } from './ledger.js';

function task(id: string, tokens: number[], terminals: TaskLedger['terminals']): TaskLedger {
  const l = newLedger(id, 'sim', 0);
  for (const i of tokens) l.tokens.set(i, (l.tokens.get(i) ?? 0) + 1);
  l.terminals.push(...terminals);
  return l;
}

const end = (at: number): TaskLedger['terminals'][number] => ({ event: 'end', at, final: true });

describe('ORCH-3051: chaos invariants over the task ledger', () => {
  it('a clean stream, resumed or not, has no violation', () => {
    expect(taskViolations(task('a', [0, 1, 2], [end(10)]))).toEqual([]);
    const reset = {
      event: 'error' as const,
      code: 'WORKER_RESET',
      retriable: true,
      at: 5,
      final: true,
    };
    expect(taskViolations(task('b', [0, 1], [reset]))).toEqual([]);
  });

  it('no final terminal is a lost task; two are a double terminal', () => {
    const lost = task('c', [0], []);
    lost.lostReason = 'stream answered 404';
    expect(taskViolations(lost)).toEqual(['no final terminal (stream answered 404)']);
    expect(taskViolations(task('d', [0], [end(1), end(2)]))).toEqual(['2 final terminals']);
  });

  it('a provisional error (reconnected after) is not a terminal', () => {
    const prov = {
      event: 'error' as const,
      code: 'POOL_UNAVAILABLE',
      retriable: true,
      at: 1,
      final: false,
    };
    expect(taskViolations(task('e', [0, 1], [prov, end(9)]))).toEqual([]);
  });

  it('a token index received twice is a duplicate; a gap before the end is a loss', () => {
    expect(taskViolations(task('f', [0, 1, 1, 2], [end(3)]))).toEqual([
      'token index 1 received more than once',
    ]);
    expect(taskViolations(task('g', [0, 2, 3], [end(3)]))).toEqual(['token index 1 lost']);
    const short = { event: 'end' as const, at: 3, final: true, reason: 'stop', tokensOut: 5 };
    expect(taskViolations(task('h', [0, 1, 2], [short]))).toEqual([
      'end (stop) says tokens_out 5, 3 received (at most one more allowed: the end-of-generation token)',
    ]);
    const cut = { event: 'end' as const, at: 3, final: true, reason: 'length', tokensOut: 4 };
    expect(taskViolations(task('i', [0, 1, 2], [cut]))).toEqual([
      'end (length) says tokens_out 4, 3 received',
    ]);
    const over = { event: 'end' as const, at: 3, final: true, reason: 'length', tokensOut: 2 };
    expect(taskViolations(task('j', [0, 1, 2], [over]))).toEqual([
      'end (length) says tokens_out 2, 3 received',
    ]);
  });

  it('ORCH-4015: a stop on end-of-generation counts one token more than the token events', () => {
    // What the real llama-server pool did in a long run: 2 token events, tokens_out 3, stop.
    const eos = { event: 'end' as const, at: 3, final: true, reason: 'stop', tokensOut: 3 };
    expect(taskViolations(task('k', [0, 1], [eos]))).toEqual([]);
  });

  it('the fault row counts lost and duplicated tasks and the slowest in-flight terminal', () => {
    const phase = [
      task('ok', [0, 1], [end(1_400)]),
      task('dup', [0, 0], [end(1_100)]),
      task('lost', [0], []),
    ];
    const row = faultRow('kill sidecar', phase, new Set(['ok', 'dup', 'lost']), 1_000, 2_500);
    expect(row).toMatchObject({
      inFlight: 3,
      lost: 1,
      duplicated: 1,
      maxToTerminalMs: 400,
      recoveryMs: 2_500,
    });
    expect(row.violations).toHaveLength(2);
    const table = renderTable([row]);
    expect(table.split('\n')[0]).toContain('max time to terminal (ms)');
    expect(table).toContain('| kill sidecar |');
  });
});
