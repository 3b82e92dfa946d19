// Control-plane credential check (/v1/pools/*, /v1/replicasets; ORCH-3035): an operator key in
// `X-API-Key` or `Authorization: Bearer` (operator tenants' keys, or ORCH_ADMIN_TOKEN). The rules
// live in auth/policy.ts, shared with the data plane and the ext_proc stream guard.
import type { FastifyRequest } from 'fastify';
import { KeyRing, sha256Hex } from '../auth/api-keys.js';
import { AuthPolicy } from '../auth/policy.js';
import { requestCredential } from './data-plane-auth.js';

export { sha256Hex };

/** Throws CoreError UNAUTHORIZED (no/malformed key) or FORBIDDEN (unknown or not an operator's). */
export type AdminCheck = (request: FastifyRequest) => void;

/** Admin tokens only, no tenants, auth not required: the control plane alone is guarded. */
export interface AdminAuthOptions {
  /** Bind address of the REST server. */
  readonly host: string;
  /** sha256 hex of each accepted admin token. */
  readonly tokenSha256: readonly string[];
}

export function adminOnlyPolicy(options: AdminAuthOptions): AuthPolicy {
  return new AuthPolicy({
    required: false,
    keys: new KeyRing([], options.tokenSha256),
    host: options.host,
  });
}

export function adminCheck(policy: AuthPolicy): AdminCheck {
  return (request) => {
    request.principal = policy.controlPlane(requestCredential(request));
  };
}
