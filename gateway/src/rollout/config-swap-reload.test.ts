// ORCH-3031: the reload run calls the config commit hook on success only, and a config that could
// not be updated shows in pool health (reload.error step `config`, last_error).
import { validateResponse } from '@llama-orch/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSidecar, digestOf } from '../../test/support/sidecar-messages.js';
import { MODEL_REF, createHarness, register } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';
import type { ConfigCommit } from './config-swap.js';
import type { ReloadTarget } from './reload-catalog.js';

const DIGEST_A = register().modelDigest;
const CATALOG: ReloadTarget[] = [
  { ref: MODEL_REF, path: '/models/a.gguf', digest: `sha256:${DIGEST_A}` },
  { ref: 'model-b', path: '/models/b.gguf', digest: `sha256:${digestOf('model-b')}` },
];
const TIMINGS = { pollMs: 2, drainDeadlineMs: 200, replicaDeadlineMs: 2000 };

let h: Harness;
afterEach(() => h.close());

function fleet(commit: ConfigCommit): FakeSidecar[] {
  h = createHarness(200, undefined, { catalog: CATALOG, timings: TIMINGS, commit });
  return [0, 1].map(
    (i) =>
      new FakeSidecar(h, { replicaId: `r${i + 1}`, advertiseAddress: `127.0.0.1:${8100 + i}` }),
  );
}

async function finished(): Promise<void> {
  const end = Date.now() + 5000;
  while (h.pools.health('pool-a').reload?.state === 'running') {
    if (Date.now() > end) throw new Error('reload did not finish');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('ORCH-3031: config commit after a reload', () => {
  it('ORCH-3031: a succeeded reload commits once (old → new); a kept file shows in reload.error and last_error', async () => {
    const calls: [string, ReloadTarget, ReloadTarget][] = [];
    fleet((pool, from, to) => {
      calls.push([pool, from, to]);
      return 'config not updated: read-only';
    });
    h.pools.reload('pool-a', { newModelRef: 'model-b' });
    await finished();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[0]).toBe('pool-a');
    expect(calls[0]?.[1].ref).toBe(MODEL_REF);
    expect(calls[0]?.[2]).toMatchObject({ ref: 'model-b', path: '/models/b.gguf' });
    const health = h.pools.health('pool-a');
    expect(health.reload).toMatchObject({
      state: 'succeeded',
      error: { failed_step: 'config', message: 'config not updated: read-only' },
    });
    expect(health.model_ref).toBe('model-b');
    expect(health.last_error?.message).toContain('config not updated');
    expect(validateResponse('getPoolHealth', 200, health).issues).toEqual([]);
  });

  it('ORCH-3031: a rolled-back reload leaves the config alone', async () => {
    const calls: string[] = [];
    const sidecars = fleet((pool) => {
      calls.push(pool);
      return undefined;
    });
    // The fake's default digest for a ref is not A's: r1's rollback must come back on DIGEST_A.
    (sidecars[0] as FakeSidecar).behaviour = (r) => ({
      kind: 'ok',
      digest: r.newModelRef === MODEL_REF ? DIGEST_A : digestOf(r.newModelRef),
    });
    (sidecars[1] as FakeSidecar).behaviour = (r) =>
      r.newModelRef === 'model-b'
        ? { kind: 'fail', step: 'decode', message: 'canary mismatch' }
        : { kind: 'ok', digest: DIGEST_A };
    h.pools.reload('pool-a', { newModelRef: 'model-b' });
    await finished();
    expect(h.pools.health('pool-a').reload?.state).toBe('rolled_back');
    expect(calls).toEqual([]);
  });

  it('ORCH-3031: a canary commits only when its promote completes; a canary rollback never', async () => {
    const calls: string[] = [];
    const sidecars = fleet((_pool, _from, to) => {
      calls.push(to.ref);
      return undefined;
    });
    for (const s of sidecars) {
      s.behaviour = (r) => ({
        kind: 'ok',
        digest: r.newModelRef === MODEL_REF ? DIGEST_A : digestOf(r.newModelRef),
      });
    }
    const holding = async (): Promise<void> => {
      const end = Date.now() + 5000;
      while (h.pools.health('pool-a').reload?.state !== 'canary') {
        if (Date.now() > end) throw new Error('canary did not hold');
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    h.pools.reload('pool-a', { newModelRef: 'model-b', canaryShare: 0.5 });
    await holding();
    expect(calls).toEqual([]);
    h.pools.reloads.decideCanary('pool-a', 'rollback');
    await finished();
    expect(h.pools.health('pool-a').reload?.state).toBe('rolled_back');
    expect(calls).toEqual([]);
    h.pools.reload('pool-a', { newModelRef: 'model-b', canaryShare: 0.5 });
    await holding();
    h.pools.reloads.decideCanary('pool-a', 'promote');
    await finished();
    expect(h.pools.health('pool-a').reload?.state).toBe('succeeded');
    expect(calls).toEqual(['model-b']);
  });
});
