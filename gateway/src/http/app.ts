// The REST app (fastify): correlation ids, one error handler, and one plugin per route family.
// Handlers are thin: validation comes from contracts, decisions from placement/ and core.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { CoreError } from '@llama-orch/core';
import { toHttpError } from '../errors/http-error.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { PoolService } from '../placement/pools.js';
import type { TaskService } from '../placement/tasks.js';
import { adminCheck } from './admin-auth.js';
import type { AdminAuthOptions } from './admin-auth.js';
import { capabilityRoutes } from './capabilities.js';
import { metricsRoutes } from './metrics-route.js';
import { poolRoutes } from './pools.js';
import { sessionRoutes } from './sessions.js';
import { taskRoutes } from './tasks.js';
import { testHookRoutes } from './test-hooks.js';

declare module 'fastify' {
  interface FastifyRequest {
    correlationId: string;
  }
}

export interface HttpAppOptions {
  readonly tasks: TaskService;
  readonly pools: PoolService;
  readonly metrics: GatewayMetrics;
  /** Tenant for requests until API-key auth lands (ORCH-3035). */
  readonly tenant?: string;
  /** Control-plane credential (default: loopback without a token, i.e. open on 127.0.0.1). */
  readonly admin?: AdminAuthOptions;
}

const UUID_LIKE = /^[0-9A-Za-z._:-]{1,128}$/;

export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  // Fastify's per-request logging stays off: the gateway logs task events itself (ORCH-3027).
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  app.decorateRequest('correlationId', '');
  // ORCH-2052: echo the client's X-Correlation-Id, or mint a UUIDv4, on every non-204 response.
  app.addHook('onRequest', async (request) => {
    const given = request.headers['x-correlation-id'];
    request.correlationId =
      typeof given === 'string' && UUID_LIKE.test(given) ? given : randomUUID();
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode !== 204) reply.header('x-correlation-id', request.correlationId);
    return payload;
  });
  app.setErrorHandler((error, request, reply) => {
    const reply_ = toHttpError(fromFastify(error), request.correlationId);
    return reply.code(reply_.status).headers(reply_.headers).send(reply_.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const r = toHttpError(
      new CoreError('NOT_FOUND', `no route ${request.method} ${request.url}`),
      request.correlationId,
    );
    return reply.code(r.status).headers(r.headers).send(r.body);
  });
  const deps = { tasks: options.tasks, tenant: options.tenant ?? 'default' };
  void app.register(taskRoutes, deps);
  void app.register(sessionRoutes, deps);
  void app.register(capabilityRoutes, deps);
  const admin = adminCheck(options.admin ?? { host: '127.0.0.1', tokenSha256: [] });
  void app.register(poolRoutes, { pools: options.pools, admin });
  void app.register(metricsRoutes, { metrics: options.metrics });
  void app.register(testHookRoutes, deps); // test-only: off unless LLAMA_ORCH_TEST_HOOKS=1 + loopback
  return app;
}

/** Fastify's own client errors (bad JSON, wrong content type, too large) are INVALID_PARAMS. */
function fromFastify(error: unknown): unknown {
  if (error instanceof CoreError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new CoreError('INVALID_PARAMS', (error as Error).message);
  }
  return error;
}
