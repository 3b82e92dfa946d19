// Control plane: POST /v1/pools/:id/drain (ORCH-2101), GET /v1/pools/:id/health (ORCH-2103) and
// GET /v1/replicasets (ORCH-2104), all behind the admin credential (ORCH-3035 placeholder).
import { formatIssues, validateDrainRequest } from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';
import type { FastifyPluginAsync } from 'fastify';
import type { PoolService } from '../placement/pools.js';
import type { AdminCheck } from './admin-auth.js';

export interface PoolRouteDeps {
  readonly pools: PoolService;
  readonly admin: AdminCheck;
}

export const poolRoutes: FastifyPluginAsync<PoolRouteDeps> = async (app, deps) => {
  app.addHook('onRequest', async (request) => deps.admin(request));
  app.post<{ Params: { id: string } }>('/v1/pools/:id/drain', async (request, reply) => {
    const checked = validateDrainRequest(request.body);
    if (!checked.ok) throw new CoreError('INVALID_PARAMS', formatIssues(checked.issues));
    deps.pools.drain(request.params.id, checked.value.deadline_ms);
    return reply.code(202).send({ pool_id: request.params.id, action: 'drain' });
  });
  app.get<{ Params: { id: string } }>('/v1/pools/:id/health', async (request) =>
    deps.pools.health(request.params.id),
  );
  app.get('/v1/replicasets', async () => deps.pools.replicaSets());
};
