// ORCH-3021/3099/3009: sessions. A session lives until it has been idle for ttlMs (each admitted
// turn refreshes it) or has served maxTurns turns; then the next turn starts a fresh session with
// no replica affinity (kv_warmth=false). Budgets (tokens, decode time) are checked at admission.
// ORCH-3035: a session belongs to the tenant whose task created it. Sessions are keyed by
// (tenant, session_id), so the same id under two tenants names two unrelated sessions: a task can
// only ever join, warm or spend the budget of a session of its own tenant.
// The Map is kept in last-activity order (delete + set on touch), so expiry scans only the head.
import type { SessionConfig, SessionKey } from '../types.js';

interface SessionRec {
  id: string;
  tenant: string;
  createdAt: number;
  lastActivity: number;
  turns: number;
  tokensUsed: number;
  timeUsedMs: number;
  lastReplicaId: string | undefined;
  kvMb: number;
}

/** Tenants whose key prefix is kept (one string per tenant instead of one per session). */
const MAX_PREFIXES = 1024;

export class SessionStore {
  private readonly sessions = new Map<string, SessionRec>();
  /** Issue 19: each tenant's key prefix, built once (every key would otherwise hold its own). */
  private readonly prefixes = new Map<string, string>();

  constructor(private readonly config: SessionConfig) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Unambiguous for any tenant and id (the tenant's length prefixes it). */
  private keyOf(tenant: string, id: string): string {
    let prefix = this.prefixes.get(tenant);
    if (prefix === undefined) {
      prefix = `${tenant.length}:${tenant}`;
      if (this.prefixes.size < MAX_PREFIXES) this.prefixes.set(tenant, prefix);
    }
    return prefix + id;
  }

  get(tenant: string, id: string): SessionRec | undefined {
    return this.sessions.get(this.keyOf(tenant, id));
  }

  /**
   * Tenants holding a session with this id, most recently active first (for operator look-ups,
   * which name an id but no tenant). A scan: operators' reads are rare, turns never call it.
   */
  owners(id: string): string[] {
    const out: string[] = [];
    for (const s of this.sessions.values()) if (s.id === id) out.push(s.tenant);
    return out.reverse();
  }

  private expired(s: SessionRec, now: number): boolean {
    return now >= s.lastActivity + this.config.ttlMs || s.turns >= this.config.maxTurns;
  }

  /** The session a new turn would join (fresh if missing, expired or out of turns); not stored. */
  peekForTurn(tenant: string, id: string, now: number): SessionRec {
    const s = this.get(tenant, id);
    if (s && !this.expired(s, now)) return s;
    return {
      id,
      tenant,
      createdAt: now,
      lastActivity: now,
      turns: 0,
      tokensUsed: 0,
      timeUsedMs: 0,
      lastReplicaId: undefined,
      kvMb: 0,
    };
  }

  /** Budget left for a turn estimated at `estTokens`; undefined when it fits. */
  budgetExceeded(s: SessionRec, estTokens: number): 'tokens' | 'time' | undefined {
    const c = this.config;
    if (c.budgetTokens > 0 && s.tokensUsed + estTokens > c.budgetTokens) return 'tokens';
    if (c.budgetTimeMs > 0 && s.timeUsedMs >= c.budgetTimeMs) return 'time';
    return undefined;
  }

  /** Commit an admitted turn: store the session and refresh its activity. */
  touch(s: SessionRec, now: number): void {
    s.lastActivity = now;
    const key = this.keyOf(s.tenant, s.id);
    this.sessions.delete(key);
    this.sessions.set(key, s);
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
    s.turns += 1;
    s.tokensUsed += tokens;
    s.timeUsedMs += timeMs;
    s.lastReplicaId = replicaId;
    s.kvMb = kvMb;
    this.touch(s, now);
  }

  delete(tenant: string, id: string): boolean {
    return this.sessions.delete(this.keyOf(tenant, id));
  }

  ttlRemaining(s: SessionRec, now: number): number {
    return Math.max(0, s.lastActivity + this.config.ttlMs - now);
  }

  /** Remove sessions idle past their TTL; returns them in expiry order. */
  expire(now: number): SessionKey[] {
    const out: SessionRec[] = [];
    for (const s of this.sessions.values()) {
      if (now < s.lastActivity + this.config.ttlMs) break;
      out.push(s);
    }
    for (const s of out) this.sessions.delete(this.keyOf(s.tenant, s.id));
    return out.map((s) => ({ tenant: s.tenant, sessionId: s.id }));
  }
}
