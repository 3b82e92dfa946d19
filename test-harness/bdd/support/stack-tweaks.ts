// Config changes the contract and BDD suites run with, on top of the local CPU stack.
import type { Config } from '@llama-orch/contracts';
import type { StackTweakContext } from '../../src/stack/index.js';

/** A configured pool no sidecar ever joins: requests for its model are POOL_UNAVAILABLE (503). */
const STANDBY_POOL = 'standby';
const STANDBY_MODEL = 'standby-model';

export function addStandbyPool(config: Config): void {
  const first = config.pools[0];
  if (!first) throw new Error('stack config has no pool');
  config.pools.push({ ...first, id: STANDBY_POOL, model_ref: STANDBY_MODEL, replicas: 1 });
}

/**
 * Two tenants with API keys and WFQ weights 3:1 (ORCH-3035, ORCH-3075). No operator tenant: the
 * loopback control plane stays open, as `npm run up` has it. Auth stays optional (loopback), so
 * requests without a key are tenant "default"; a key selects its tenant.
 */
export const BDD_TENANTS: Readonly<Record<string, { key: string; weight: number }>> = {
  a: { key: 'bdd-tenant-a-key', weight: 3 },
  b: { key: 'bdd-tenant-b-key', weight: 1 },
};

export function addTenants(config: Config, ctx: StackTweakContext): void {
  for (const [id, t] of Object.entries(BDD_TENANTS)) {
    config.tenants.push({
      id,
      api_key_hmac: [ctx.apiKeyHmac(t.key)],
      weight: t.weight,
      operator: false,
      quotas: {},
    });
  }
}

/**
 * ORCH-2102: a second catalog ref for the one GGUF the stack has, so a reload to it really
 * relaunches llama-server (same file, so the digest is unchanged). The pool names its artifact
 * too (model_path), so a reload back to the pool's own ref knows what to launch.
 */
const RELOAD_MODEL = 'SmolLM2-135M-Instruct-Q4_1-reloaded';

export function addReloadTarget(config: Config, modelPath: string): void {
  const pool = config.pools[0];
  if (!pool) throw new Error('stack config has no pool');
  pool.model_path = modelPath;
  config.models.push({
    ref: RELOAD_MODEL,
    path: modelPath,
    ...(pool.model_digest ? { digest: pool.model_digest } : {}),
  });
}
