// POST /v1/tasks (ORCH-2001) and POST /v1/tasks/:id/cancel (ORCH-2003). The caller's tenant comes
// from its API key (data-plane-auth.ts, ORCH-3035); WFQ weights and quotas apply per tenant.
import { formatIssues, validateTaskRequest } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthPolicy } from '../auth/policy.js';
import type { TaskService } from '../services/tasks.js';

export interface RouteDeps {
  readonly tasks: TaskService;
  readonly policy: AuthPolicy;
  /** Tenant that submitted a live task (undefined when unknown or forgotten). */
  readonly taskTenant: (taskId: string) => string | undefined;
}

export const taskRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.post('/v1/tasks', async (request, reply) => {
    const checked = validateTaskRequest(request.body);
    if (!checked.ok) {
      const error = new CoreError('INVALID_PARAMS', formatIssues(checked.issues));
      deps.tasks.countInvalidBody(request.body, error);
      throw error;
    }
    const tenant = request.principal.tenant;
    const admitted = await deps.tasks.submit(checked.value, tenant, request.correlationId);
    return reply.code(202).send(admitted);
  });

  // Cancel takes no body, but clients and proxies may still send an empty chunked one without a
  // content type, which fastify would refuse with 415. In this scope any body is read and ignored.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => {
      payload.resume();
      payload.once('end', () => done(null, undefined));
    });
    scope.post<{ Params: { id: string } }>('/v1/tasks/:id/cancel', async (request, reply) => {
      deps.policy.checkTaskAccess(request.principal, deps.taskTenant(request.params.id));
      deps.tasks.cancel(request.params.id);
      return reply.code(204).send();
    });
  });
};
