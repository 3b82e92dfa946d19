// ORCH-3035, ORCH-3140: API keys → principals, for both paths (REST hooks and the ext_proc stream
// guard). Keys are stored only as HMAC-SHA256 under a server secret (config
// tenants[].api_key_hmac; ORCH_ADMIN_TOKEN is HMAC'd at startup and then forgotten): unlike a bare
// sha256, a leaked config cannot be brute-forced offline without the secret, which lives in a
// separate file (a Kubernetes Secret). A presented key is HMAC'd and compared in constant time
// with EVERY stored digest (no early exit), so timing tells neither whether nor which tenant
// matched. Plain TypeScript: no fastify, no Envoy types; the callers turn headers into a Credential.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** ORCH-3140: a shorter secret would make the HMAC no harder to brute-force than the key. */
export const MIN_SECRET_BYTES = 32;

/** The server secret tenants' key digests are keyed with. */
export class KeySecret {
  private constructor(private readonly secret: Buffer) {}

  /**
   * From the secret's text (file content or ORCH_API_KEY_SECRET): trailing whitespace (the
   * newline an editor or `kubectl create secret --from-file` leaves) is not part of it.
   */
  static fromText(text: string, source: string): KeySecret {
    const secret = Buffer.from(text.replace(/\s+$/, ''), 'utf8');
    if (secret.length < MIN_SECRET_BYTES) {
      throw new Error(
        `API key secret from ${source} has ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed (ORCH-3140)`,
      );
    }
    return new KeySecret(secret);
  }

  /** A random secret for this process only: digests of ORCH_ADMIN_TOKEN when no secret is set. */
  static ephemeral(): KeySecret {
    return new KeySecret(randomBytes(MIN_SECRET_BYTES));
  }

  digest(key: string): Buffer {
    return createHmac('sha256', this.secret).update(key, 'utf8').digest();
  }

  digestHex(key: string): string {
    return this.digest(key).toString('hex');
  }
}

export interface TenantKeys {
  readonly id: string;
  /** HMAC-SHA256 hex of each accepted key under the server secret (ORCH-3140). */
  readonly apiKeyHmac: readonly string[];
  /** Keys of this tenant may call the control plane. */
  readonly operator?: boolean;
}

export interface Principal {
  readonly tenant: string;
  readonly operator: boolean;
  /** false for an anonymous request (auth not required and no key presented). */
  readonly authenticated: boolean;
  /** First 12 hex digits of the key's HMAC: the most of a key that may ever be logged. */
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

interface Entry {
  readonly hash: Buffer;
  readonly tenant: string;
  readonly operator: boolean;
}

/** Every accepted key digest with the tenant it stands for. */
export class KeyRing {
  private readonly entries: readonly Entry[];

  /**
   * @param secret the server secret the digests are keyed with
   * @param tenants configured tenants and their key digests
   * @param adminTokens extra operator credentials (ORCH_ADMIN_TOKEN), tenant "default"; digested
   *   here and not kept
   */
  constructor(
    private readonly secret: KeySecret,
    tenants: readonly TenantKeys[],
    adminTokens: readonly string[] = [],
  ) {
    const entry = (hex: string, tenant: string, operator: boolean): Entry => {
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`not an HMAC-SHA256 hex digest: ${hex}`);
      return { hash: Buffer.from(hex.toLowerCase(), 'hex'), tenant, operator };
    };
    this.entries = [
      ...tenants.flatMap((t) => t.apiKeyHmac.map((h) => entry(h, t.id, t.operator === true))),
      ...adminTokens.map((token) => ({
        hash: secret.digest(token),
        tenant: DEFAULT_TENANT,
        operator: true,
      })),
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
    const got = this.secret.digest(key);
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
