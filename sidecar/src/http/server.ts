// HTTP surface of the sidecar: the routed stream (ORCH-4012/4013), /metrics and /healthz.
// Route handlers only translate HTTP ↔ the streaming layer; logic lives in streaming/.
import { randomUUID } from 'node:crypto';
import { errorResponse, lastEventIdOf, type Engine } from '@llama-orch/contracts';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ClaimFailure, Lease, LeaseStore } from '../control/lease-store.js';
import { SseStreamWriter } from '../sse/stream-writer.js';
import type { SseSink } from '../sse/stream-writer.js';
import { ResumableStreams, StreamLog } from '../sse/stream-log.js';
import type { LeaseStream, RequestOverrides } from '../streaming/lease-stream.js';
import { registerOpenAiRoutes } from '../openai/routes.js';
import type { TaskEventWriter } from '../sse/stream-writer.js';
import { startStreamSpan, withSpan } from '../tracing.js';
import type { SidecarMetrics } from './metrics.js';

interface HttpDeps {
  leases: LeaseStore;
  metrics: SidecarMetrics;
  engine: Engine;
  /** Builds the stream session for a claimed lease (OpenAI routes add their overrides). */
  openStream(lease: Lease, writer: TaskEventWriter, overrides?: RequestOverrides): LeaseStream;
  /** Reported as X-Orch-Replica-Id on OpenAI answers. */
  replicaId?: string;
  healthz(): { ready: boolean; reason: string };
  /**
   * ORCH-4032: how long a stream whose client went away goes on for a reconnect with
   * Last-Event-ID, and how long a finished stream stays readable (default 30 s; 0: off).
   */
  resumeWindowMs?: number;
}

const REFUSAL: Record<ClaimFailure, string> = {
  missing: 'no x-orch-lease-id header',
  unknown: 'unknown lease',
  task_mismatch: 'lease belongs to another task',
  used: 'lease already used',
  expired: 'lease expired',
};

const LEASE_HEADER = 'x-orch-lease-id';
/** Set by placement on a reconnect without Last-Event-ID (ORCH-4032). */
const RESUME_HEADER = 'x-orch-resume';
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

function refuse(
  reply: FastifyReply,
  code: 'INVALID_PARAMS' | 'LEASE_INVALID',
  message: string,
  correlationId: string,
  engine: Engine,
): FastifyReply {
  const r = errorResponse({ code, message, engine, correlation_id: correlationId });
  return reply.code(r.status).headers(r.headers).send(r.body);
}

/** The hijacked response as an SSE reader: writes while the socket is open. */
function responseReader(raw: FastifyReply['raw']): SseSink {
  return {
    write: (chunk) => {
      if (!raw.destroyed) raw.write(chunk);
    },
    end: () => {
      if (!raw.destroyed) raw.end();
    },
  };
}

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const resumable = new ResumableStreams(deps.resumeWindowMs ?? 30_000);
  app.addHook('onClose', async () => resumable.close());

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

  app.get<{ Params: { id: string }; Querystring: { last_event_id?: string } }>(
    '/v1/tasks/:id/stream',
    (req, reply) => {
      const taskId = req.params.id;
      const leaseId = headerValue(req.headers[LEASE_HEADER]);
      const headerCorrelation = headerValue(req.headers[CORRELATION_HEADER]);
      // ORCH-4032: a reconnect after event N of a stream this sidecar still holds.
      const lastId = lastEventIdOf(
        headerValue(req.headers['last-event-id']),
        req.query.last_event_id,
      );
      if (lastId === 'invalid') {
        return refuse(
          reply,
          'INVALID_PARAMS',
          'Last-Event-ID / last_event_id must be a non-negative integer event id',
          headerCorrelation ?? randomUUID(),
          deps.engine,
        );
      }
      // A reconnect placement routed back without an id gets the stream from its first event;
      // anything else reusing a lease is refused (ORCH-4012).
      const fromStart = headerValue(req.headers[RESUME_HEADER]) === 'start';
      if (leaseId !== undefined && resumable.has(leaseId) && (lastId !== undefined || fromStart)) {
        return resume(leaseId, lastId ?? -1);
      }
      const claim = deps.leases.claim(leaseId, taskId);
      if (!claim.ok) {
        if (lastId !== undefined && claim.reason === 'used') {
          // A resume for a stream that is gone (window passed): never a stream that skips events.
          return refuse(
            reply,
            'LEASE_INVALID',
            'stream refused: no longer resumable (resume window passed)',
            headerCorrelation ?? randomUUID(),
            deps.engine,
          );
        }
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
      // No flushHeaders: the head goes out with the `started` event, in one write (issue 19).
      // ORCH-4032: the writer writes into the stream's log; this response is its first reader.
      const log = new StreamLog();
      const writer = new SseStreamWriter(log);
      const reader = responseReader(raw);
      log.attach(reader, -1);
      const span = startStreamSpan(req.headers, {
        'orch.task_id': taskId,
        'orch.lease_id': lease.leaseId,
      });
      const session = deps.openStream(lease, writer);
      resumable.open(lease.leaseId, taskId, log, () => session.clientGone());
      // 'close' before our own end means the client (or Envoy) went away mid-stream: the stream
      // goes on for the resume window, then is given up (ORCH-4032).
      raw.on('close', () => {
        if (!raw.writableFinished) resumable.clientLeft(lease.leaseId, reader);
      });
      void withSpan(span, () => session.run()).finally(() => {
        span.end();
        resumable.finished(lease.leaseId);
      });

      function resume(resumeLease: string, afterId: number): FastifyReply {
        const correlationId = headerCorrelation ?? randomUUID();
        const refused = resumable.check(resumeLease, taskId, afterId);
        if (refused) {
          return refuse(
            reply,
            refused.reason === 'bad_id' ? 'INVALID_PARAMS' : 'LEASE_INVALID',
            refused.reason === 'bad_id'
              ? `Last-Event-ID ${afterId} was never sent on this stream (next id is ${refused.nextId})`
              : 'stream refused: lease belongs to another task',
            correlationId,
            deps.engine,
          );
        }
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
        const reader = responseReader(raw);
        resumable.resume(resumeLease, afterId, reader);
        raw.on('close', () => {
          if (!raw.writableFinished) resumable.clientLeft(resumeLease, reader);
        });
        return reply;
      }
    },
  );

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
