// Config changes the contract and BDD suites run with, on top of the local CPU stack.
import type { Config } from '@llama-orch/contracts';

/** A configured pool no sidecar ever joins: requests for its model are POOL_UNAVAILABLE (503). */
export const STANDBY_POOL = 'standby';
export const STANDBY_MODEL = 'standby-model';

export function addStandbyPool(config: Config): void {
  const first = config.pools[0];
  if (!first) throw new Error('stack config has no pool');
  config.pools.push({ ...first, id: STANDBY_POOL, model_ref: STANDBY_MODEL, replicas: 1 });
}
