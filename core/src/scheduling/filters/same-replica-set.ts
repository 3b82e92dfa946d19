// ORCH-3007/3046/4017: a task is placed only inside its pool's serving replica set, so identities
// (engine, engine_version, model_digest, sampler_profile_version, canary_hash, ctx) never mix.
import type { Filter } from '../plugins.js';

export const sameReplicaSet: Filter = {
  name: 'same-replica-set',
  keep: (ctx, c) => c.poolId === ctx.poolId && c.setKey === ctx.setKey,
};
