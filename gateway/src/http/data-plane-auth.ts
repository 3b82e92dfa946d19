// Data-plane API-key check for the REST routes (ORCH-3035): an onRequest hook that resolves the
// request's principal (its tenant) or throws UNAUTHORIZED / FORBIDDEN before any handler runs.
// The key itself is never stored on the request or logged; only the principal's fingerprint is.
import { OPENAI_MODELS_PATH } from '@llama-orch/contracts';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { credentialFrom, DEFAULT_TENANT } from '../auth/api-keys.js';
import type { Credential, Principal } from '../auth/api-keys.js';
import type { AuthPolicy } from '../auth/policy.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts as; anonymous "default" until a hook resolves it. */
    principal: Principal;
  }
}

export const ANONYMOUS_PRINCIPAL: Principal = {
  tenant: DEFAULT_TENANT,
  operator: false,
  authenticated: false,
};

export function requestCredential(request: FastifyRequest): Credential {
  return credentialFrom((name) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  });
}

/**
 * @param onRejected told about each refusal before it is thrown (admission metrics count refused
 *   task submissions, ORCH-3028)
 */
export function dataPlaneAuth(
  policy: AuthPolicy,
  onRejected?: (request: FastifyRequest, error: unknown) => void,
): onRequestAsyncHookHandler {
  return async (request) => {
    try {
      // ORCH-3106: GET /v1/models follows the OpenAI routes' key rule.
      request.principal =
        request.url.split('?')[0] === OPENAI_MODELS_PATH
          ? policy.openAiDataPlane(requestCredential(request))
          : policy.dataPlane(requestCredential(request));
    } catch (error) {
      onRejected?.(request, error);
      throw error;
    }
  };
}
