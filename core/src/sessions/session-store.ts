// ORCH-3021/3099/3009: sessions. A session lives until it has been idle for ttlMs (each admitted
// turn refreshes it) or has served maxTurns turns; then the next turn starts a fresh session with
// no replica affinity (kv_warmth=false). Budgets (tokens, decode time) are checked at admission.
// The Map is kept in last-activity order (delete + set on touch), so expiry scans only the head.
import type { SessionConfig } from '../types.js';

export interface SessionRec {
  id: string;
  createdAt: number;
  lastActivity: number;
  turns: number;
  tokensUsed: number;
  timeUsedMs: number;
  lastReplicaId: string | undefined;
  kvMb: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, SessionRec>();

  constructor(private readonly config: SessionConfig) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): SessionRec | undefined {
    return this.sessions.get(id);
  }

  private expired(s: SessionRec, now: number): boolean {
    return now >= s.lastActivity + this.config.ttlMs || s.turns >= this.config.maxTurns;
  }

  /** The session a new turn would join (fresh if missing, expired or out of turns); not stored. */
  peekForTurn(id: string, now: number): SessionRec {
    const s = this.sessions.get(id);
    if (s && !this.expired(s, now)) return s;
    return {
      id,
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
    this.sessions.delete(s.id);
    this.sessions.set(s.id, s);
  }

  /** A turn finished on `replicaId`: count it and remember the replica for affinity. */
  recordTurn(
    id: string,
    replicaId: string,
    tokens: number,
    timeMs: number,
    kvMb: number,
    now: number,
  ): void {
    const s = this.sessions.get(id);
    if (!s) return;
    s.turns += 1;
    s.tokensUsed += tokens;
    s.timeUsedMs += timeMs;
    s.lastReplicaId = replicaId;
    s.kvMb = kvMb;
    this.touch(s, now);
  }

  delete(id: string): boolean {
    return this.sessions.delete(id);
  }

  ttlRemaining(s: SessionRec, now: number): number {
    return Math.max(0, s.lastActivity + this.config.ttlMs - now);
  }

  /** Remove sessions idle past their TTL; returns their ids in expiry order. */
  expire(now: number): string[] {
    const out: string[] = [];
    for (const s of this.sessions.values()) {
      if (now < s.lastActivity + this.config.ttlMs) break;
      out.push(s.id);
    }
    for (const id of out) this.sessions.delete(id);
    return out;
  }
}
