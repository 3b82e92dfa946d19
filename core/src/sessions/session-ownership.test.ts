// ORCH-3035/3021/3099: a session belongs to the tenant whose task created it. The same session_id
// under another tenant is another session: it never joins the first one's KV affinity, turns or
// budget, and looking it up or deleting it under the other tenant finds nothing.
import { describe, expect, it } from 'vitest';
import { baseConfig, manualClock, replica, scheduler, spec } from '../../test/fixtures.js';
import type { Scheduler, TaskSpecInput } from '../index.js';
import { SessionStore } from './session-store.js';

const CONFIG = { ttlMs: 1000, maxTurns: 8, budgetTokens: 0, budgetTimeMs: 0 };

/** Admit, attach, dispatch and finish one turn; the dispatch's replica and warmth. */
function turn(
  sched: Scheduler,
  tenant: string,
  id: string,
  extra: Partial<TaskSpecInput> = {},
): { replicaId: string | undefined; kvWarmth: boolean | undefined } {
  const r = sched.admit(spec(id, { session_id: 'shared', ...extra }), tenant);
  if (!r.ok) throw r.error;
  sched.attach(id);
  const d = sched.dispatch().dispatches[0];
  sched.leaseFinished(d?.leaseId ?? '', { reason: 'stop', tokensIn: 5, tokensOut: 5 });
  return { replicaId: d?.replicaId, kvWarmth: d?.kvWarmth };
}

describe('ORCH-3035: sessions are keyed by (tenant, session_id)', () => {
  it('ORCH-3035/ORCH-3021: the store keeps one session per tenant for the same id', () => {
    const store = new SessionStore(CONFIG);
    const a = store.peekForTurn('acme', 'x', 0);
    store.touch('acme', 'x', a, 0);
    expect(store.get('beta', 'x')).toBeUndefined();
    const b = store.peekForTurn('beta', 'x', 10);
    expect(b).not.toBe(a);
    expect(b.turns).toBe(0);
    store.touch('beta', 'x', b, 10);
    store.recordTurn({ tenant: 'acme', sessionId: 'x' }, 'r1', 7, 3, 1, 20);
    expect(store.get('acme', 'x')?.turns).toBe(1);
    expect(store.get('beta', 'x')?.turns).toBe(0);
    expect(store.owners('x')).toEqual(['acme', 'beta']); // most recently active first
    expect(store.delete('beta', 'x')).toBe(true);
    expect(store.get('acme', 'x')?.turns).toBe(1);
    expect(store.owners('x')).toEqual(['acme']);
  });

  it('ORCH-3035: tenant keys cannot collide through the separator (a:bc vs ab:c)', () => {
    const store = new SessionStore(CONFIG);
    store.touch('a', 'bc', store.peekForTurn('a', 'bc', 0), 0);
    expect(store.get('ab', 'c')).toBeUndefined();
    expect(store.expire(1000)).toEqual([{ tenant: 'a', sessionId: 'bc' }]);
  });

  it("ORCH-3035/ORCH-3022: another tenant's task naming the same session_id gets no KV warmth or affinity", () => {
    const { sched } = scheduler();
    sched.upsertReplica(replica('r1'));
    sched.upsertReplica(replica('r2'));
    const first = turn(sched, 'acme', 'a1');
    expect(first.kvWarmth).toBe(false);
    const warm = turn(sched, 'acme', 'a2');
    expect([warm.replicaId, warm.kvWarmth]).toEqual([first.replicaId, true]);
    const foreign = turn(sched, 'beta', 'b1');
    expect(foreign.kvWarmth).toBe(false);
    expect(sched.session('beta', 'shared')?.turns).toBe(1);
    expect(sched.session('acme', 'shared')?.turns).toBe(2);
    expect(sched.session('acme', 'shared')?.tenant).toBe('acme');
  });

  it("ORCH-3035/ORCH-3099: another tenant's turns never spend a session's budget", () => {
    const { sched } = scheduler(baseConfig({ sessions: { budgetTokens: 30 } }));
    sched.upsertReplica(replica('r1'));
    turn(sched, 'acme', 'a1', { max_tokens: 10 }); // acme's session has used 10 (5 in + 5 out)
    // beta's turns on the same id draw on beta's own budget only
    turn(sched, 'beta', 'b1', { max_tokens: 10 });
    turn(sched, 'beta', 'b2', { max_tokens: 10 });
    expect(sched.admit(spec('a2', { session_id: 'shared', max_tokens: 10 }), 'acme').ok).toBe(true);
    const over = sched.admit(spec('b3', { session_id: 'shared', max_tokens: 25 }), 'beta');
    expect(over.ok).toBe(false);
  });

  it('ORCH-3035/ORCH-2004/ORCH-2005: look-up and delete are per tenant; owners lists live holders', () => {
    const clock = manualClock();
    const { sched } = scheduler(baseConfig({ sessions: { ttlMs: 1000 } }), clock);
    sched.upsertReplica(replica('r1'));
    turn(sched, 'acme', 'a1');
    expect(sched.session('beta', 'shared')).toBeUndefined();
    expect(sched.deleteSession('beta', 'shared')).toBe(false);
    expect(sched.session('acme', 'shared')?.turns).toBe(1);
    clock.advance(10);
    turn(sched, 'beta', 'b1');
    expect(sched.sessionOwners('shared')).toEqual(['beta', 'acme']);
    expect(sched.deleteSession('beta', 'shared')).toBe(true);
    expect(sched.sessionOwners('shared')).toEqual(['acme']);
    clock.advance(1000);
    expect(sched.sessionOwners('shared')).toEqual([]); // expired sessions are nobody's
    expect(sched.tick().expiredSessions).toEqual([{ tenant: 'acme', sessionId: 'shared' }]);
  });
});
