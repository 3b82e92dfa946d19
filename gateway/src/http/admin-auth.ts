// Admin credential for the control plane (/v1/pools/*, /v1/replicasets; ORCH-3035 placeholder
// until API-key auth lands). Accepted: `Authorization: Bearer <token>` or `X-API-Key: <token>`
// (both schemes of contracts/openapi/control.yaml) whose sha256 is one of the
// configured hashes (operator tenants' api_key_sha256, plus ORCH_ADMIN_TOKEN from the environment).
// With nothing configured, a loopback bind stays usable for local development (warned once at
// startup); any other bind refuses every control call, so the plane is never open off-host.
import { createHash, timingSafeEqual } from 'node:crypto';
import { CoreError } from '@llama-orch/core';
import type { FastifyRequest } from 'fastify';

export interface AdminAuthOptions {
  /** Bind address of the REST server. */
  readonly host: string;
  /** sha256 hex of each accepted admin token. */
  readonly tokenSha256: readonly string[];
}

export type AdminCheck = (request: FastifyRequest) => void;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Options from config hashes plus the ORCH_ADMIN_TOKEN environment variable, when set. */
export function adminAuthFrom(
  host: string,
  operatorKeySha256: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): AdminAuthOptions {
  const token = env['ORCH_ADMIN_TOKEN'];
  return {
    host,
    tokenSha256: [...operatorKeySha256, ...(token ? [sha256Hex(token)] : [])],
  };
}

/** 'open' = loopback without a credential (callers log a warning), else 'token' or 'closed'. */
export function adminMode(options: AdminAuthOptions): 'token' | 'open' | 'closed' {
  if (options.tokenSha256.length > 0) return 'token';
  return isLoopbackHost(options.host) ? 'open' : 'closed';
}

/** The contract's two schemes: `Authorization: Bearer <t>` or `X-API-Key: <t>` (orchctl's). */
function presented(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  const key = request.headers['x-api-key'];
  return bearer ?? (typeof key === 'string' && key.length > 0 ? key : undefined);
}

/** Throws CoreError UNAUTHORIZED (no bearer token) or FORBIDDEN (wrong token, or closed). */
export function adminCheck(options: AdminAuthOptions): AdminCheck {
  const mode = adminMode(options);
  const wanted = options.tokenSha256.map((h) => Buffer.from(h.toLowerCase(), 'hex'));
  return (request) => {
    if (mode === 'open') return;
    if (mode === 'closed') {
      throw new CoreError(
        'FORBIDDEN',
        'control plane disabled: no admin credential configured on a non-loopback bind',
      );
    }
    const token = presented(request);
    if (!token)
      throw new CoreError('UNAUTHORIZED', 'admin credential required (Bearer or X-API-Key)');
    const got = createHash('sha256').update(token, 'utf8').digest();
    if (!wanted.some((w) => w.length === got.length && timingSafeEqual(w, got))) {
      throw new CoreError('FORBIDDEN', 'token is not an admin credential');
    }
  };
}
