// ORCH-3036: per-tenant quotas checked before enqueue: concurrent live tasks, tokens per minute
// (prompt + max_tokens reserved at admission, corrected to actual tokens when the task ends) and
// an estimate of KV memory of live tasks. Rejections are ADMISSION_REJECT with a retry hint.
import type { NormTenant } from '../config.js';
import { CoreError } from '../errors.js';

const WINDOW_MS = 60_000;

interface Charge {
  at: number;
  tokens: number;
  evicted: boolean;
}

class TenantUsage {
  /** Token bucket for ORCH-3006; starts full. */
  bucket = Infinity;
  bucketAt = 0;
  live = 0;
  kvMb = 0;
  windowTokens = 0;
  private window: Charge[] = [];
  private head = 0;

  evict(now: number): void {
    while (this.head < this.window.length) {
      const c = this.window[this.head] as Charge;
      if (c.at > now - WINDOW_MS) break;
      this.windowTokens -= c.tokens;
      c.evicted = true;
      this.head++;
    }
    // Compact once the consumed prefix dominates, keeping memory bounded by the window.
    if (this.head > 64 && this.head * 2 > this.window.length) {
      this.window = this.window.slice(this.head);
      this.head = 0;
    }
  }

  charge(now: number, tokens: number): Charge {
    const c = { at: now, tokens, evicted: false };
    this.window.push(c);
    this.windowTokens += tokens;
    return c;
  }

  correct(c: Charge, actual: number): void {
    if (c.evicted) return;
    this.windowTokens += actual - c.tokens;
    c.tokens = actual;
  }

  /** Ms until enough of the window expires for `need` more tokens under `limit`. */
  waitFor(need: number, limit: number, now: number): number {
    let excess = this.windowTokens + need - limit;
    for (let i = this.head; i < this.window.length && excess > 0; i++) {
      const c = this.window[i] as Charge;
      excess -= c.tokens;
      if (excess <= 0) return c.at + WINDOW_MS - now;
    }
    return WINDOW_MS;
  }
}

export type QuotaCharge = Charge;

function refill(u: TenantUsage, ratePerSecond: number, burst: number, now: number): number {
  if (u.bucket === Infinity) return burst;
  return Math.min(burst, u.bucket + ((now - u.bucketAt) * ratePerSecond) / 1000);
}

export class TenantQuotaBook {
  private readonly usage = new Map<string, TenantUsage>();

  private of(tenant: string): TenantUsage {
    let u = this.usage.get(tenant);
    if (!u) {
      u = new TenantUsage();
      this.usage.set(tenant, u);
    }
    return u;
  }

  check(
    tenant: string,
    cfg: NormTenant,
    estTokens: number,
    kvMb: number,
    now: number,
    serviceHintMs: number,
  ): CoreError | undefined {
    const u = this.of(tenant);
    u.evict(now);
    const q = cfg.quotas;
    if (q.ratePerSecond !== Infinity) {
      const tokens = refill(u, q.ratePerSecond, q.burst, now);
      if (tokens < 1) {
        return new CoreError('ADMISSION_REJECT', `tenant ${tenant}: rate limit reached`, {
          retryAfterMs: ((1 - tokens) / q.ratePerSecond) * 1000,
          policyLabel: 'rate_limit',
        });
      }
    }
    if (u.live + 1 > q.maxConcurrent) {
      return new CoreError('ADMISSION_REJECT', `tenant ${tenant}: concurrent task quota reached`, {
        retryAfterMs: serviceHintMs,
        policyLabel: 'quota:concurrent',
      });
    }
    if (u.windowTokens + estTokens > q.tokensPerMinute) {
      const never = estTokens > q.tokensPerMinute;
      return new CoreError(
        'ADMISSION_REJECT',
        `tenant ${tenant}: tokens per minute quota reached`,
        {
          retriable: !never,
          retryAfterMs: never ? undefined : u.waitFor(estTokens, q.tokensPerMinute, now),
          policyLabel: 'quota:tokens_per_min',
        },
      );
    }
    if (u.kvMb + kvMb > q.kvMb) {
      const never = kvMb > q.kvMb;
      return new CoreError('ADMISSION_REJECT', `tenant ${tenant}: KV memory quota reached`, {
        retriable: !never,
        retryAfterMs: never ? undefined : serviceHintMs,
        policyLabel: 'quota:kv_mb',
      });
    }
    return undefined;
  }

  /**
   * Records an admitted task. Its token charge is kept only under a tokens-per-minute limit: with
   * none there is no window to check, and a queued task would carry the charge for nothing (issue
   * 19: about 80 bytes per queued task). A limit added by a reload therefore counts only tasks
   * admitted after it.
   */
  admit(
    tenant: string,
    cfg: NormTenant,
    estTokens: number,
    kvMb: number,
    now: number,
  ): QuotaCharge | undefined {
    const u = this.of(tenant);
    if (cfg.quotas.ratePerSecond !== Infinity) {
      u.bucket = refill(u, cfg.quotas.ratePerSecond, cfg.quotas.burst, now) - 1;
      u.bucketAt = now;
    }
    u.live += 1;
    u.kvMb += kvMb;
    return cfg.quotas.tokensPerMinute === Infinity ? undefined : u.charge(now, estTokens);
  }

  /** Count an adopted live task (no reservation: its tokens were charged by the old process). */
  track(tenant: string): void {
    this.of(tenant).live += 1;
  }

  release(tenant: string, kvMb: number, charge: QuotaCharge | undefined, actual?: number): void {
    const u = this.of(tenant);
    u.live = Math.max(0, u.live - 1);
    u.kvMb = Math.max(0, u.kvMb - kvMb);
    if (charge && actual !== undefined) u.correct(charge, actual);
  }

  liveOf(tenant: string): number {
    return this.usage.get(tenant)?.live ?? 0;
  }
}
