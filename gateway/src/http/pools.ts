// Control plane: POST /v1/pools/:id/drain|undrain (ORCH-2101), POST /v1/pools/:id/reload
// (ORCH-2102) with its canary promote/rollback (ORCH-3033), GET /v1/pools/:id/health (ORCH-2103) and GET /v1/replicasets (ORCH-2104), all
// behind the admin credential (ORCH-3035 placeholder).
import {
  formatIssues,
  validateDrainRequest,
  validateReloadRequest,
  validateSchema,
} from '@llama-orch/contracts';
import { CoreError } from '@llama-orch/core';
import type { FastifyPluginAsync } from 'fastify';
import type { PoolService } from '../services/pools.js';
import type { AdminCheck } from './admin-auth.js';

interface PoolRouteDeps {
  readonly pools: PoolService;
  readonly admin: AdminCheck;
}

function checked<T>(result: {
  ok: boolean;
  value?: T;
  issues: Parameters<typeof formatIssues>[0];
}): T {
  if (!result.ok) throw new CoreError('INVALID_PARAMS', formatIssues(result.issues));
  return result.value as T;
}

export const poolRoutes: FastifyPluginAsync<PoolRouteDeps> = async (app, deps) => {
  app.addHook('onRequest', async (request) => deps.admin(request));
  app.post<{ Params: { id: string } }>('/v1/pools/:id/drain', async (request, reply) => {
    const body = checked(validateDrainRequest(request.body));
    deps.pools.drain(request.params.id, body.deadline_ms, body.replica_id);
    return reply.code(202).send({
      pool_id: request.params.id,
      action: 'drain',
      ...(body.replica_id !== undefined ? { replica_id: body.replica_id } : {}),
    });
  });
  app.post<{ Params: { id: string } }>('/v1/pools/:id/undrain', async (request, reply) => {
    // The body is optional: none (or an empty one) lifts the pool's drain.
    const body = checked(
      validateSchema<{ replica_id?: string }>('control', 'UndrainRequest', request.body ?? {}),
    );
    deps.pools.undrain(request.params.id, body.replica_id);
    return reply.code(202).send({
      pool_id: request.params.id,
      action: 'undrain',
      ...(body.replica_id !== undefined ? { replica_id: body.replica_id } : {}),
    });
  });
  app.post<{ Params: { id: string } }>('/v1/pools/:id/reload', async (request, reply) => {
    const body = checked(validateReloadRequest(request.body));
    const reloadId = deps.pools.reload(request.params.id, {
      newModelRef: body.new_model_ref,
      newModelDigest: body.new_model_digest,
      drainDeadlineMs: body.drain_deadline_ms,
      replicaDeadlineMs: body.replica_deadline_ms,
      canaryShare: body.canary_share,
    });
    return reply
      .code(202)
      .send({ pool_id: request.params.id, action: 'reload', reload_id: reloadId });
  });
  // ORCH-3033: end a canary reload's hold, forward (promote) or back (rollback), in one call.
  for (const [path, action] of [
    ['/v1/pools/:id/reload/promote', 'promote'],
    ['/v1/pools/:id/rollback', 'rollback'],
  ] as const) {
    app.post<{ Params: { id: string } }>(path, async (request, reply) => {
      const reloadId = deps.pools.reloads.decideCanary(request.params.id, action);
      return reply.code(202).send({ pool_id: request.params.id, action, reload_id: reloadId });
    });
  }
  app.get<{ Params: { id: string } }>('/v1/pools/:id/health', async (request) =>
    deps.pools.health(request.params.id),
  );
  app.get('/v1/replicasets', async () => deps.pools.replicaSets());
};
