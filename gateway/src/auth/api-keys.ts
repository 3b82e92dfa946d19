// ORCH-3035: API keys → principals, for both paths (REST hooks and the ext_proc stream guard).
// Keys are stored only as sha256 hex (config tenants[].api_key_sha256; ORCH_ADMIN_TOKEN is hashed
// at startup and then forgotten). A presented key is hashed and compared in constant time with
// EVERY stored hash (no early exit), so timing tells neither whether nor which tenant matched.
// Plain TypeScript: no fastify, no Envoy types; the callers turn headers into a Credential.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface TenantKeys {
  readonly id: string;
  /** sha256 hex of each accepted key. */
  readonly apiKeySha256: readonly string[];
  /** Keys of this tenant may call the control plane. */
  readonly operator?: boolean;
}

export interface Principal {
  readonly tenant: string;
  readonly operator: boolean;
  /** false for an anonymous request (auth not required and no key presented). */
  readonly authenticated: boolean;
  /** First 12 hex digits of sha256(key): the most of a key that may ever be logged. */
  readonly fingerprint?: string;
}

/** What a request presented, before any lookup. */
export type Credential =
  | { readonly kind: 'none' }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'key'; readonly key: string };

/** Tenant of anonymous requests and of ORCH_ADMIN_TOKEN (which belongs to no configured tenant). */
export const DEFAULT_TENANT = 'default';

// Visible ASCII only: a key with spaces, control bytes or non-ASCII is a client bug, not a guess.
const KEY_SYNTAX = /^[\x21-\x7e]{1,512}$/;
const BEARER = /^Bearer +(\S+) *$/i;

/** The contract's two schemes: `X-API-Key: <key>` or `Authorization: Bearer <key>`. */
export function credentialFrom(header: (name: string) => string | undefined): Credential {
  const apiKey = header('x-api-key');
  const authorization = header('authorization');
  let bearer: string | undefined;
  if (authorization !== undefined) {
    bearer = BEARER.exec(authorization)?.[1];
    if (bearer === undefined) {
      return { kind: 'malformed', reason: 'Authorization must be "Bearer <api key>"' };
    }
  }
  if (apiKey !== undefined && bearer !== undefined && apiKey !== bearer) {
    return { kind: 'malformed', reason: 'X-API-Key and Authorization carry different keys' };
  }
  const key = apiKey ?? bearer;
  if (key === undefined) return { kind: 'none' };
  if (!KEY_SYNTAX.test(key)) {
    return { kind: 'malformed', reason: 'API key must be 1-512 visible ASCII characters' };
  }
  return { kind: 'key', key };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function fingerprintOf(key: string): string {
  return sha256Hex(key).slice(0, 12);
}

interface Entry {
  readonly hash: Buffer;
  readonly tenant: string;
  readonly operator: boolean;
}

/** Every accepted key hash with the tenant it stands for. */
export class KeyRing {
  private readonly entries: readonly Entry[];

  /**
   * @param tenants configured tenants and their key hashes
   * @param adminTokenSha256 extra operator credentials (ORCH_ADMIN_TOKEN), tenant "default"
   */
  constructor(tenants: readonly TenantKeys[], adminTokenSha256: readonly string[] = []) {
    const entry = (hex: string, tenant: string, operator: boolean): Entry => {
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`not a sha256 hex digest: ${hex}`);
      return { hash: Buffer.from(hex.toLowerCase(), 'hex'), tenant, operator };
    };
    this.entries = [
      ...tenants.flatMap((t) => t.apiKeySha256.map((h) => entry(h, t.id, t.operator === true))),
      ...adminTokenSha256.map((h) => entry(h, DEFAULT_TENANT, true)),
    ];
  }

  get hasOperator(): boolean {
    return this.entries.some((e) => e.operator);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The principal a key stands for, or undefined for an unknown key. */
  lookup(key: string): Principal | undefined {
    const got = createHash('sha256').update(key, 'utf8').digest();
    let found: Entry | undefined;
    for (const e of this.entries) {
      // Every entry is compared, match or not: constant work per ring, not per position.
      if (timingSafeEqual(e.hash, got) && found === undefined) found = e;
    }
    if (!found) return undefined;
    return {
      tenant: found.tenant,
      operator: found.operator,
      authenticated: true,
      fingerprint: got.toString('hex').slice(0, 12),
    };
  }
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}
