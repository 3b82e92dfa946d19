// ORCH-3035: who may do what. One policy answers for the REST hooks and the ext_proc stream guard,
// so both paths give the same answer to the same key:
//   data plane (tasks, stream, sessions, capabilities):
//     auth.required: no key → 401 UNAUTHORIZED, malformed → 401, unknown key → 403 FORBIDDEN
//     not required:  no key → anonymous tenant "default"; a key presented is checked as above and
//                    selects its tenant (so WFQ weights and quotas apply on a loopback stack too)
//   control plane (/v1/pools/*, /v1/replicasets): an operator key (operator tenant or
//     ORCH_ADMIN_TOKEN); a tenant key that is not an operator's → 403. With no operator credential
//     configured and auth not required, a loopback bind stays open for local development.
//   a task (cancel, stream) belongs to the tenant that submitted it: another tenant's key → 403;
//     operators and anonymous loopback callers may act on any task.
// Errors are CoreErrors (the contract's codes); callers shape them for HTTP or ImmediateResponse.
import { CoreError } from '@llama-orch/core';
import { DEFAULT_TENANT, isLoopbackHost } from './api-keys.js';
import type { Credential, KeyRing, Principal } from './api-keys.js';

interface AuthPolicyOptions {
  /** config auth.required: every data-plane request needs a key. */
  readonly required: boolean;
  readonly keys: KeyRing;
  /** Bind address of the servers: decides whether an unconfigured control plane is open. */
  readonly host: string;
}

type ControlMode = 'open' | 'key' | 'closed';

const ANONYMOUS: Principal = { tenant: DEFAULT_TENANT, operator: false, authenticated: false };

export class AuthPolicy {
  readonly controlMode: ControlMode;

  constructor(private readonly o: AuthPolicyOptions) {
    if (o.keys.hasOperator) this.controlMode = 'key';
    else this.controlMode = !o.required && isLoopbackHost(o.host) ? 'open' : 'closed';
  }

  get required(): boolean {
    return this.o.required;
  }

  /** Throws UNAUTHORIZED / FORBIDDEN; otherwise the principal the request acts as. */
  dataPlane(credential: Credential): Principal {
    if (credential.kind === 'none' && !this.o.required) return ANONYMOUS;
    return this.known(credential);
  }

  /**
   * ORCH-3106: the OpenAI routes. OpenAI SDKs always send some key, so with auth off and no
   * tenant key configured at all (the loopback dev stack) any key acts as tenant "default", as
   * no key does; otherwise a presented key is checked, and an unknown one is 401 (OpenAI's
   * "invalid API key"), not 403.
   */
  openAiDataPlane(credential: Credential): Principal {
    if (!this.o.required && this.o.keys.size === 0) return ANONYMOUS;
    try {
      return this.dataPlane(credential);
    } catch (error) {
      if (error instanceof CoreError && error.code === 'FORBIDDEN') {
        throw new CoreError('UNAUTHORIZED', `invalid API key (${error.message})`);
      }
      throw error;
    }
  }

  controlPlane(credential: Credential): Principal {
    if (this.controlMode === 'open') return ANONYMOUS;
    if (this.controlMode === 'closed') {
      throw new CoreError(
        'FORBIDDEN',
        'control plane disabled: no operator key configured (operator tenant or ORCH_ADMIN_TOKEN)',
      );
    }
    const principal = this.known(credential);
    if (!principal.operator) {
      throw new CoreError('FORBIDDEN', 'the control plane needs an operator key');
    }
    return principal;
  }

  /** ORCH-3035: a tenant's key acts only on that tenant's tasks. */
  checkTaskAccess(principal: Principal, taskTenant: string | undefined): void {
    if (!principal.authenticated || principal.operator || taskTenant === undefined) return;
    if (taskTenant !== principal.tenant) {
      throw new CoreError('FORBIDDEN', 'the task belongs to another tenant');
    }
  }

  private known(credential: Credential): Principal {
    if (credential.kind === 'none') {
      throw new CoreError('UNAUTHORIZED', 'API key required (X-API-Key or Authorization: Bearer)');
    }
    if (credential.kind === 'malformed') throw new CoreError('UNAUTHORIZED', credential.reason);
    const principal = this.o.keys.lookup(credential.key);
    if (!principal) throw new CoreError('FORBIDDEN', 'unknown API key');
    return principal;
  }
}

/** ORCH-3035: authentication may be off only when every listener binds to loopback. */
export function assertAuthAllowed(host: string, required: boolean): void {
  if (!required && !isLoopbackHost(host)) {
    throw new Error(
      `refusing to start: auth.required is false but the listeners bind ${host} (not loopback); ` +
        'set auth.required: true with tenants[].api_key_hmac, or bind 127.0.0.1',
    );
  }
}
