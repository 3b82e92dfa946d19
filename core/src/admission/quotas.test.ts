import { describe, expect, it } from 'vitest';
import type { NormTenant } from '../config.js';
import { TenantQuotaBook } from './quotas.js';

const tenant = (tokensPerMinute: number): NormTenant => ({
  weight: 1,
  quotas: {
    maxConcurrent: Infinity,
    tokensPerMinute,
    kvMb: Infinity,
    ratePerSecond: Infinity,
    burst: Infinity,
  },
});

describe('ORCH-3036: the tokens-per-minute window keeps charges only under a limit', () => {
  it('ORCH-3036: no limit → no charge is kept; the live count is still tracked and released', () => {
    const book = new TenantQuotaBook();
    const charge = book.admit('acme', tenant(Infinity), 50, 0, 0);
    expect(charge).toBeUndefined();
    expect(book.liveOf('acme')).toBe(1);
    book.release('acme', 0, charge, 10);
    expect(book.liveOf('acme')).toBe(0);
  });

  it('ORCH-3036: under a limit the charge is kept, counted, and corrected to actual tokens', () => {
    const book = new TenantQuotaBook();
    const cfg = tenant(100);
    const charge = book.admit('acme', cfg, 60, 0, 0);
    expect(charge).toMatchObject({ tokens: 60 });
    expect(book.check('acme', cfg, 50, 0, 1, 0)?.policyLabel).toBe('quota:tokens_per_min');
    book.release('acme', 0, charge, 20);
    expect(book.check('acme', cfg, 50, 0, 1, 0)).toBeUndefined();
  });
});
