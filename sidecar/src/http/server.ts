// HTTP surface of the sidecar: the routed stream (ORCH-4012/4013), /metrics and /healthz.
// Route handlers only translate HTTP ↔ the streaming layer; logic lives in streaming/.
import { randomUUID } from 'node:crypto';
import { errorResponse, type Engine } from '@llama-orch/contracts';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ClaimFailure, Lease, LeaseStore } from '../control/lease-store.js';
import { SseStreamWriter } from '../sse/stream-writer.js';
import type { LeaseStream, RequestOverrides } from '../streaming/lease-stream.js';
import { registerOpenAiRoutes } from '../openai/routes.js';
import type { TaskEventWriter } from '../sse/stream-writer.js';
import { startStreamSpan, withSpan } from '../tracing.js';
import type { SidecarMetrics } from './metrics.js';

export interface HttpDeps {
  leases: LeaseStore;
  metrics: SidecarMetrics;
  engine: Engine;
  /** Builds the stream session for a claimed lease (OpenAI routes add their overrides). */
  openStream(lease: Lease, writer: TaskEventWriter, overrides?: RequestOverrides): LeaseStream;
  /** Reported as X-Orch-Replica-Id on OpenAI answers. */
  replicaId?: string;
  healthz(): { ready: boolean; reason: string };
}

const REFUSAL: Record<ClaimFailure, string> = {
  missing: 'no x-orch-lease-id header',
  unknown: 'unknown lease',
  task_mismatch: 'lease belongs to another task',
  used: 'lease already used',
  expired: 'lease expired',
};

const LEASE_HEADER = 'x-orch-lease-id';
const CORRELATION_HEADER = 'x-correlation-id';

function headerValue(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.length > 0 ? s : undefined;
}

function leaseInvalid(
  reply: FastifyReply,
  correlationId: string,
  engine: Engine,
  reason: ClaimFailure,
): FastifyReply {
  const r = errorResponse({
    code: 'LEASE_INVALID',
    message: `stream refused: ${REFUSAL[reason]}`,
    engine,
    correlation_id: correlationId,
  });
  return reply.code(r.status).headers(r.headers).send(r.body);
}

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true });

  // ORCH-2052: every response carries X-Correlation-Id (echoed, else a fresh UUIDv4). The SSE
  // route writes its own header because it hijacks the reply.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (!reply.hasHeader(CORRELATION_HEADER)) {
      reply.header(
        CORRELATION_HEADER,
        headerValue(req.headers[CORRELATION_HEADER]) ?? randomUUID(),
      );
    }
    done(null, payload);
  });

  app.setNotFoundHandler((req, reply) => {
    const r = errorResponse({
      code: 'NOT_FOUND',
      message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}`,
      correlation_id: headerValue(req.headers[CORRELATION_HEADER]) ?? randomUUID(),
    });
    return reply.code(r.status).headers(r.headers).send(r.body);
  });

  app.get<{ Params: { id: string } }>('/v1/tasks/:id/stream', (req, reply) => {
    const taskId = req.params.id;
    const leaseId = headerValue(req.headers[LEASE_HEADER]);
    const claim = deps.leases.claim(leaseId, taskId);
    const headerCorrelation = headerValue(req.headers[CORRELATION_HEADER]);
    if (!claim.ok) {
      deps.metrics.leaseRejected(claim.reason);
      return leaseInvalid(reply, headerCorrelation ?? randomUUID(), deps.engine, claim.reason);
    }
    const lease = claim.lease;
    const correlationId = headerCorrelation ?? (lease.task.correlationId || randomUUID());
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      [CORRELATION_HEADER]: correlationId,
    });
    raw.flushHeaders();
    const writer = new SseStreamWriter({
      write: (chunk) => {
        if (!raw.destroyed) raw.write(chunk);
      },
      end: () => {
        if (!raw.destroyed) raw.end();
      },
    });
    const span = startStreamSpan(req.headers, {
      'orch.task_id': taskId,
      'orch.lease_id': lease.leaseId,
    });
    const session = deps.openStream(lease, writer);
    // 'close' before our own end means the client (or Envoy) went away mid-stream.
    raw.on('close', () => {
      if (!raw.writableFinished) session.clientGone();
    });
    void withSpan(span, () => session.run()).finally(() => span.end());
  });

  // ORCH-3103: the OpenAI completion routes, same leases and the same stream session.
  registerOpenAiRoutes(app, {
    leases: deps.leases,
    metrics: deps.metrics,
    replicaId: deps.replicaId ?? '',
    openStream: (lease, writer, overrides) => deps.openStream(lease, writer, overrides),
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.header('content-type', deps.metrics.registry.contentType).send(body);
  });

  app.get('/healthz', (_req, reply) => {
    const h = deps.healthz();
    return reply
      .code(h.ready ? 200 : 503)
      .send({ status: h.ready ? 'ready' : 'unready', reason: h.reason });
  });

  return app;
}
