// GET /metrics: Prometheus text exposition (ORCH-3028).
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayMetrics } from '../metrics/metrics.js';

export const metricsRoutes: FastifyPluginAsync<{ metrics: GatewayMetrics }> = async (app, deps) => {
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.header('content-type', deps.metrics.registry.contentType).send(text);
  });
};
