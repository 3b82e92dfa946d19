// The REST app (fastify): correlation ids, one error handler, and one plugin per route family.
// Handlers are thin: validation comes from contracts, decisions from placement/ and core.
import Fastify from 'fastify';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { CoreError } from '@llama-orch/core';
import { OPENAI_MODELS_PATH, declaredMethods, openAiErrorResponse } from '@llama-orch/contracts';
import type { OpenAiErrorReply } from '@llama-orch/contracts';
import { asCoreError } from '../errors/errors.js';
import { toHttpError } from '../errors/http-error.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { PoolService } from '../services/pools.js';
import type { TaskService } from '../services/tasks.js';
import type { Principal } from '../auth/api-keys.js';
import type { AuthPolicy } from '../auth/policy.js';
import { adminCheck, adminOnlyPolicy } from './admin-auth.js';
import type { AdminAuthOptions } from './admin-auth.js';
import { capabilityRoutes } from './capabilities.js';
import { resolveCorrelationId } from './correlation-id.js';
import { ANONYMOUS_PRINCIPAL, dataPlaneAuth } from './data-plane-auth.js';
import { metricsRoutes } from './metrics-route.js';
import { poolRoutes } from './pools.js';
import { sessionRoutes } from './sessions.js';
import { taskRoutes } from './tasks.js';

declare module 'fastify' {
  interface FastifyRequest {
    correlationId: string;
  }
}

interface HttpAppOptions {
  readonly tasks: TaskService;
  readonly pools: PoolService;
  readonly metrics: GatewayMetrics;
  /** ORCH-3035: who may call what, and as which tenant (default: open on loopback, no keys). */
  readonly auth?: AuthPolicy;
  /** Shortcut for tests: only a control-plane credential (ignored when `auth` is given). */
  readonly admin?: AdminAuthOptions;
  /** Tenant of a live task, for ownership checks on cancel (default: none known). */
  readonly taskTenant?: (taskId: string) => string | undefined;
  /** Registered after the product routes, outside the data-plane auth hook (tests only today). */
  readonly plugins?: readonly HttpPlugin[];
}

/** An extra route plugin; it gets the services the product routes use. */
export type HttpPlugin = FastifyPluginAsync<{ tasks: TaskService; pools: PoolService }>;

export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  // Fastify's per-request logging stays off: the gateway logs task events itself (ORCH-3027).
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  app.decorateRequest('correlationId', '');
  // Fastify 5 refuses object defaults for decorators; the first hook below sets the real value.
  app.decorateRequest('principal', null as unknown as Principal);
  // ORCH-2052: echo the client's X-Correlation-Id, or mint a UUIDv4, on every non-204 response;
  // ORCH-3144: one the contract does not allow is a 400 (which echoes a minted id).
  app.addHook('onRequest', async (request) => {
    request.principal = ANONYMOUS_PRINCIPAL;
    const resolved = resolveCorrelationId(request.headers['x-correlation-id']);
    request.correlationId = resolved.id;
    if (resolved.refusal) throw resolved.refusal;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode !== 204) reply.header('x-correlation-id', request.correlationId);
    return payload;
  });
  const countRejected = (request: FastifyRequest, error: unknown): void => {
    if (isTaskSubmission(request)) options.tasks.countInvalidBody(undefined, asCoreError(error));
  };
  app.setErrorHandler((error, request, reply) => {
    // ORCH-3028: fastify's own refusals of a task submission (bad JSON, wrong content type, too
    // large) never reach the route, so they are counted here; the route counts its own.
    if (!(error instanceof CoreError)) countRejected(request, fromFastify(error));
    if (isOpenAi(request)) {
      const r = openAiReply(fromFastify(error), request.correlationId);
      return reply.code(r.status).headers(r.headers).send(r.body);
    }
    const reply_ = toHttpError(fromFastify(error), request.correlationId);
    return reply.code(reply_.status).headers(reply_.headers).send(reply_.body);
  });
  app.setNotFoundHandler((request, reply) => {
    // ORCH-3144: a path the contract declares, with a method it does not: 405 and Allow.
    const allowed = declaredMethods(request.url.split('?')[0] ?? '');
    const r = toHttpError(
      allowed === undefined
        ? new CoreError('NOT_FOUND', `no route ${request.method} ${request.url}`)
        : new CoreError(
            'METHOD_NOT_ALLOWED',
            `${request.method} is not allowed here; allowed: ${allowed.join(', ')}`,
          ),
      request.correlationId,
    );
    if (allowed !== undefined) reply.header('allow', allowed.join(', '));
    return reply.code(r.status).headers(r.headers).send(r.body);
  });
  const policy =
    options.auth ?? adminOnlyPolicy(options.admin ?? { host: '127.0.0.1', tokens: [] });
  const deps = {
    tasks: options.tasks,
    policy,
    taskTenant: options.taskTenant ?? (() => undefined),
  };
  // ORCH-3035: the data plane (tasks, sessions, capabilities) resolves the caller's tenant first.
  void app.register(async (dataPlane) => {
    dataPlane.addHook('onRequest', dataPlaneAuth(policy, countRejected));
    void dataPlane.register(taskRoutes, deps);
    void dataPlane.register(sessionRoutes, deps);
    void dataPlane.register(capabilityRoutes, deps);
  });
  void app.register(poolRoutes, { pools: options.pools, admin: adminCheck(policy) });
  void app.register(metricsRoutes, { metrics: options.metrics }); // exempt from auth (ORCH-3035)
  for (const plugin of options.plugins ?? []) {
    void app.register(plugin, { tasks: options.tasks, pools: options.pools });
  }
  return app;
}

/** ORCH-3106: GET /v1/models answers errors in OpenAI's shape (an unknown key is 401 there). */
function isOpenAi(request: FastifyRequest): boolean {
  return request.url.split('?')[0] === OPENAI_MODELS_PATH;
}

function openAiReply(error: unknown, correlationId: string): OpenAiErrorReply {
  const e = asCoreError(error);
  return openAiErrorResponse({
    code: e.code,
    message: e.message,
    ...(e.retryAfterMs !== undefined ? { retry_after_ms: e.retryAfterMs } : {}),
    correlation_id: correlationId,
  });
}

function isTaskSubmission(request: FastifyRequest): boolean {
  return request.method === 'POST' && request.url.split('?')[0] === '/v1/tasks';
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
