// GET /v1/sessions/:id (ORCH-2004) and DELETE /v1/sessions/:id (ORCH-2005). ORCH-3035: sessions
// belong to the tenant whose task created them; the caller's key decides whose it may see.
import { CoreError } from '@llama-orch/core';
import type { FastifyPluginAsync } from 'fastify';
import type { Principal } from '../auth/api-keys.js';
import type { SessionScope } from '../services/tasks.js';
import type { RouteDeps } from './tasks.js';

/**
 * The same rule as for tasks (AuthPolicy.checkTaskAccess): a tenant key sees its tenant's
 * sessions only; an operator key, or an anonymous caller on a loopback stack with auth off, sees
 * any tenant's.
 */
function sessionScope(principal: Principal): SessionScope {
  return {
    tenant: principal.tenant,
    anyTenant: principal.operator || !principal.authenticated,
  };
}

/** The contract's `format: uuid` of the session id (ajv-formats' rule). */
const SESSION_ID = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

/**
 * ORCH-3144 (found by schemathesis): an id that is not a UUID is a malformed request (400), not
 * an unknown session; before, DELETE answered it 204.
 */
function sessionId(id: string): string {
  if (!SESSION_ID.test(id)) throw new CoreError('INVALID_PARAMS', 'session id must be a UUID');
  return id;
}

export const sessionRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get<{ Params: { id: string } }>('/v1/sessions/:id', async (request) =>
    deps.tasks.session(sessionId(request.params.id), sessionScope(request.principal)),
  );
  app.delete<{ Params: { id: string } }>('/v1/sessions/:id', async (request, reply) => {
    deps.tasks.deleteSession(sessionId(request.params.id), sessionScope(request.principal));
    return reply.code(204).send();
  });
};
