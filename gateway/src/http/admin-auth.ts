// Control-plane credential check (/v1/pools/*, /v1/replicasets; ORCH-3035): an operator key in
// `X-API-Key` or `Authorization: Bearer` (operator tenants' keys, or ORCH_ADMIN_TOKEN). The rules
// live in auth/policy.ts, shared with the data plane and the ext_proc stream guard.
import type { FastifyRequest } from 'fastify';
import { KeyRing, KeySecret } from '../auth/api-keys.js';
import { AuthPolicy } from '../auth/policy.js';
import { requestCredential } from './data-plane-auth.js';

/** Throws CoreError UNAUTHORIZED (no/malformed key) or FORBIDDEN (unknown or not an operator's). */
export type AdminCheck = (request: FastifyRequest) => void;

/** Admin tokens only, no tenants, auth not required: the control plane alone is guarded. */
export interface AdminAuthOptions {
  /** Bind address of the REST server. */
  readonly host: string;
  /** Each accepted admin token; HMAC'd under a per-process secret and not kept (ORCH-3140). */
  readonly tokens: readonly string[];
}

export function adminOnlyPolicy(options: AdminAuthOptions): AuthPolicy {
  return new AuthPolicy({
    required: false,
    keys: new KeyRing(KeySecret.ephemeral(), [], options.tokens),
    host: options.host,
  });
}

export function adminCheck(policy: AuthPolicy): AdminCheck {
  return (request) => {
    request.principal = policy.controlPlane(requestCredential(request));
  };
}
