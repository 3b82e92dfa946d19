// Reload targets (ORCH-2102): a pool may be reloaded only to its own model_ref or to a model of the
// configuration's `models[]` catalog. The catalog gives the artifact path the sidecar launches and
// the digest it must verify (ORCH-3037); a pool's own model comes with its model_path/model_digest,
// so a rollback knows where the old artifact is.
import type { Config } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';

export interface ReloadTarget {
  readonly ref: string;
  readonly path?: string | undefined;
  /** `sha256:<64 hex>` when pinned. */
  readonly digest?: string | undefined;
}

/** The catalog from a validated config: `models[]` first, then each pool's own model. */
export function reloadTargetsFrom(config: Pick<Config, 'models' | 'pools'>): ReloadTarget[] {
  const out: ReloadTarget[] = [];
  const seen = new Set<string>();
  const add = (t: ReloadTarget): void => {
    if (seen.has(t.ref)) return;
    seen.add(t.ref);
    out.push(t);
  };
  for (const m of config.models ?? []) add({ ref: m.ref, path: m.path, digest: m.digest });
  for (const p of config.pools)
    add({ ref: p.model_ref, path: p.model_path, digest: p.model_digest });
  return out;
}

/**
 * The target of `POST /v1/pools/{id}/reload`: the catalog entry for `ref` (or the pool's own model
 * when the catalog does not list it), with a digest the request may add but not contradict.
 */
export function resolveReloadTarget(
  catalog: readonly ReloadTarget[],
  pool: {
    readonly poolId: string;
    readonly modelRef: string;
    readonly modelDigest?: string | undefined;
  },
  ref: string,
  digest: string | undefined,
): ReloadTarget {
  const entry =
    catalog.find((t) => t.ref === ref) ??
    (ref === pool.modelRef ? { ref, digest: pool.modelDigest } : undefined);
  if (!entry) {
    throw new CoreError(
      'INVALID_PARAMS',
      `new_model_ref ${ref} is not configured: reload targets are the pool's model_ref (${pool.modelRef}) or a ref of models[]`,
      { policyLabel: 'reload.target' },
    );
  }
  if (digest !== undefined && entry.digest !== undefined && digest !== entry.digest) {
    throw new CoreError(
      'INVALID_PARAMS',
      `new_model_digest ${digest} contradicts the configured digest ${entry.digest} of ${ref}`,
      { policyLabel: 'reload.target' },
    );
  }
  return { ref: entry.ref, path: entry.path, digest: digest ?? entry.digest };
}
