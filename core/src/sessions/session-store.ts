// ORCH-3021/3099/3009: sessions. A session lives until it has been idle for ttlMs (each admitted
// turn refreshes it) or has served maxTurns turns; then the next turn starts a fresh session with
// no replica affinity (kv_warmth=false). Budgets (tokens, decode time) are checked at admission.
// ORCH-3035: a session belongs to the tenant whose task created it. Sessions are keyed by
// (tenant, session_id), so the same id under two tenants names two unrelated sessions: a task can
// only ever join, warm or spend the budget of a session of its own tenant.
// Each tenant's Map is kept in last-activity order (delete + set on touch), so expiry scans only
// the heads; across tenants, expiry and owner look-ups order by the last activity itself. Issue 19: one Map per tenant keyed by the session id itself, so a session costs no key
// string of its own (a single Map needed a tenant-prefixed key per session).
import type { SessionConfig, SessionKey } from '../types.js';

/** What a session's finished turns used; absent until its first turn finished. */
interface SessionUse {
  turns: number;
  tokensUsed: number;
  timeUsedMs: number;
  lastReplicaId: string;
  kvMb: number;
}

/**
 * A session as callers see it. Issue 19: the store keeps one only for a session with a finished
 * turn; a session whose turns are all still queued or running is stored as its last-activity time
 * alone (a small integer in the Map, no object), and `get` hands out a fresh view of it. Its tenant
 * and id are the keys it is stored under.
 */
class SessionRec {
  use: SessionUse | undefined = undefined;

  constructor(public lastActivity: number) {}

  get turns(): number {
    return this.use?.turns ?? 0;
  }

  get tokensUsed(): number {
    return this.use?.tokensUsed ?? 0;
  }

  get timeUsedMs(): number {
    return this.use?.timeUsedMs ?? 0;
  }

  get lastReplicaId(): string | undefined {
    return this.use?.lastReplicaId;
  }

  get kvMb(): number {
    return this.use?.kvMb ?? 0;
  }
}

/** What the store holds per session: the record, or only the last activity before a turn ended. */
type Stored = SessionRec | number;

const lastActivityOf = (v: Stored): number => (typeof v === 'number' ? v : v.lastActivity);

export class SessionStore {
  private readonly byTenant = new Map<string, Map<string, Stored>>();
  private count = 0;

  constructor(private readonly config: SessionConfig) {}

  get size(): number {
    return this.count;
  }

  get(tenant: string, id: string): SessionRec | undefined {
    const v = this.byTenant.get(tenant)?.get(id);
    return typeof v === 'number' ? new SessionRec(v) : v;
  }

  /**
   * Tenants holding a session with this id, most recently active first (for operator look-ups,
   * which name an id but no tenant). A scan over tenants: operators' reads are rare, turns never
   * call it.
   */
  owners(id: string): string[] {
    const found: { tenant: string; at: number }[] = [];
    for (const [tenant, m] of this.byTenant) {
      const s = m.get(id);
      if (s !== undefined) found.push({ tenant, at: lastActivityOf(s) });
    }
    return found.sort((a, b) => b.at - a.at).map((s) => s.tenant);
  }

  private expired(s: SessionRec, now: number): boolean {
    return now >= s.lastActivity + this.config.ttlMs || s.turns >= this.config.maxTurns;
  }

  /** The session a new turn would join (fresh if missing, expired or out of turns); not stored. */
  peekForTurn(tenant: string, id: string, now: number): SessionRec {
    const s = this.get(tenant, id);
    if (s && !this.expired(s, now)) return s;
    return new SessionRec(now);
  }

  /** Budget left for a turn estimated at `estTokens`; undefined when it fits. */
  budgetExceeded(s: SessionRec, estTokens: number): 'tokens' | 'time' | undefined {
    const c = this.config;
    if (c.budgetTokens > 0 && s.tokensUsed + estTokens > c.budgetTokens) return 'tokens';
    if (c.budgetTimeMs > 0 && s.timeUsedMs >= c.budgetTimeMs) return 'time';
    return undefined;
  }

  /**
   * Commit an admitted turn: store the session (peekForTurn's for this key) and refresh it. Times
   * are kept in whole ms: a small integer is stored in the Map itself, a fractional one would be a
   * boxed number per session (issue 19); a TTL is seconds to minutes.
   */
  touch(tenant: string, id: string, s: SessionRec, now: number): void {
    s.lastActivity = Math.floor(now);
    let m = this.byTenant.get(tenant);
    if (!m) {
      m = new Map();
      this.byTenant.set(tenant, m);
    }
    if (m.delete(id)) this.count--;
    m.set(id, s.use === undefined ? s.lastActivity : s);
    this.count++;
  }

  /** A turn finished on `replicaId`: count it and remember the replica for affinity. */
  recordTurn(
    session: SessionKey,
    replicaId: string,
    tokens: number,
    timeMs: number,
    kvMb: number,
    now: number,
  ): void {
    const s = this.get(session.tenant, session.sessionId);
    if (!s) return;
    // A view of a session without a finished turn is a fresh object: touch() below stores it.
    const use = s.use;
    if (use) {
      use.turns += 1;
      use.tokensUsed += tokens;
      use.timeUsedMs += timeMs;
      use.lastReplicaId = replicaId;
      use.kvMb = kvMb;
    } else {
      s.use = { turns: 1, tokensUsed: tokens, timeUsedMs: timeMs, lastReplicaId: replicaId, kvMb };
    }
    this.touch(session.tenant, session.sessionId, s, now);
  }

  delete(tenant: string, id: string): boolean {
    const m = this.byTenant.get(tenant);
    if (!m?.delete(id)) return false;
    this.count--;
    if (m.size === 0) this.byTenant.delete(tenant);
    return true;
  }

  ttlRemaining(s: SessionRec, now: number): number {
    return Math.max(0, s.lastActivity + this.config.ttlMs - now);
  }

  /** Remove sessions idle past their TTL; returns them in expiry order. */
  expire(now: number): SessionKey[] {
    const out: { key: SessionKey; at: number }[] = [];
    for (const [tenant, m] of this.byTenant) {
      for (const [sessionId, s] of m) {
        const at = lastActivityOf(s);
        if (now < at + this.config.ttlMs) break;
        out.push({ key: { tenant, sessionId }, at });
      }
    }
    // Oldest activity first; sessions idle since the same ms keep their tenants' order (stable).
    out.sort((a, b) => a.at - b.at);
    for (const { key } of out) this.delete(key.tenant, key.sessionId);
    return out.map((e) => e.key);
  }
}
