// GET /v1/pools/:id/health (ORCH-2103) and GET /v1/replicasets (ORCH-2104).
import type { FastifyPluginAsync } from 'fastify';
import type { PoolService } from '../placement/pools.js';

export const poolRoutes: FastifyPluginAsync<{ pools: PoolService }> = async (app, deps) => {
  app.get<{ Params: { id: string } }>('/v1/pools/:id/health', async (request) =>
    deps.pools.health(request.params.id),
  );
  app.get('/v1/replicasets', async () => deps.pools.replicaSets());
};
