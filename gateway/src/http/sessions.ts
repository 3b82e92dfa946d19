// GET /v1/sessions/:id (ORCH-2004) and DELETE /v1/sessions/:id (ORCH-2005).
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from './tasks.js';

export const sessionRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get<{ Params: { id: string } }>('/v1/sessions/:id', async (request) =>
    deps.tasks.session(request.params.id),
  );
  app.delete<{ Params: { id: string } }>('/v1/sessions/:id', async (request, reply) => {
    deps.tasks.deleteSession(request.params.id);
    return reply.code(204).send();
  });
};
