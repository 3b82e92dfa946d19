// GET /v1/capabilities (ORCH-3095) and the OpenAI model list GET /v1/models (ORCH-3103): both
// derived from live sidecar registrations.
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from './tasks.js';

export const capabilityRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get('/v1/capabilities', async () => deps.tasks.capabilities());
  app.get('/v1/models', async () => deps.tasks.models());
};
