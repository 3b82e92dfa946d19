// ORCH-3103: the sidecar's OpenAI routes. Placement routed the request here with a lease
// (x-orch-lease-id) for the task it admitted (x-orch-task-id); the body is the client's OpenAI
// request, forwarded by Envoy unchanged. The route checks the lease exactly like the OrchQueue
// stream route, then runs the same LeaseStream with an OpenAI writer and the request's
// conversation and sampling (seed and max_tokens stay the Assign's, as placement resolved them).
import { randomUUID } from 'node:crypto';
import {
  checkOpenAiRequest,
  messageText,
  openAiErrorResponse,
  stopList,
} from '@llama-orch/contracts';
import type { ErrorCode, OpenAiRequest } from '@llama-orch/contracts';
import { resolveSeed } from '@llama-orch/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClaimFailure, Lease, LeaseStore } from '../control/lease-store.js';
import type { SidecarMetrics } from '../http/metrics.js';
import type { TaskEventWriter } from '../sse/stream-writer.js';
import type { LeaseStream, RequestOverrides } from '../streaming/lease-stream.js';
import { startStreamSpan, withSpan } from '../tracing.js';
import { OpenAiWriter } from './writer.js';

interface OpenAiRouteDeps {
  leases: LeaseStore;
  metrics: SidecarMetrics;
  replicaId: string;
  openStream(lease: Lease, writer: TaskEventWriter, overrides: RequestOverrides): LeaseStream;
}

const LEASE_HEADER = 'x-orch-lease-id';
const TASK_HEADER = 'x-orch-task-id';
const SET_HEADER = 'x-orch-replica-set';
const CORRELATION_HEADER = 'x-correlation-id';

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.length > 0 ? s : undefined;
}

function refuse(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  correlationId: string,
  param: string | null = null,
): FastifyReply {
  const r = openAiErrorResponse({ code, message, param, correlation_id: correlationId });
  return reply.code(r.status).headers(r.headers).send(r.body);
}

/** The request's conversation / prompt and sampling, as the adapter seam takes them. */
function overridesOf(req: OpenAiRequest): RequestOverrides {
  const b = req.body;
  const sampling = {
    ...(b.temperature !== undefined && b.temperature !== null
      ? { temperature: b.temperature }
      : {}),
    ...(b.top_p !== undefined && b.top_p !== null ? { topP: b.top_p } : {}),
    ...(stopList(b.stop).length ? { stop: stopList(b.stop) } : {}),
  };
  const withSampling = Object.keys(sampling).length > 0 ? { sampling } : {};
  if (req.route === 'completions') {
    return { prompt: req.body.prompt, promptFormat: 'raw', ...withSampling };
  }
  return {
    promptFormat: 'chat',
    messages: req.body.messages.map((m) => ({ role: m.role, content: messageText(m) })),
    ...withSampling,
  };
}

export function registerOpenAiRoutes(app: FastifyInstance, deps: OpenAiRouteDeps): void {
  for (const [path, route] of [
    ['/v1/chat/completions', 'chat'],
    ['/v1/completions', 'completions'],
  ] as const) {
    app.post(path, (req, reply) => {
      const correlationId = header(req, CORRELATION_HEADER) ?? randomUUID();
      // Placement validated this same body before it admitted the task; checked again here so a
      // lease is never spent on a body the contract refuses (the lease then expires unclaimed).
      const checked = checkOpenAiRequest(route, req.body);
      if (!checked.ok) {
        return refuse(reply, 'INVALID_PARAMS', checked.message, correlationId, checked.param);
      }
      const claim = deps.leases.claim(header(req, LEASE_HEADER), header(req, TASK_HEADER) ?? '');
      if (!claim.ok) {
        deps.metrics.leaseRejected(claim.reason);
        return refuse(
          reply,
          'LEASE_INVALID',
          `request refused: ${refusal(claim.reason)}`,
          correlationId,
        );
      }
      const lease = claim.lease;
      const body = checked.request.body;
      reply.hijack();
      const writer = new OpenAiWriter(
        nodeOut(reply),
        writerOptions(
          route,
          lease,
          correlationId,
          deps,
          body.stream === true,
          body.stream_options?.include_usage === true,
          header(req, SET_HEADER) ?? '',
        ),
      );
      const span = startStreamSpan(req.headers, {
        'orch.task_id': lease.task.taskId,
        'orch.lease_id': lease.leaseId,
        'orch.api': 'openai',
      });
      const session = deps.openStream(lease, writer, overridesOf(checked.request));
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) session.clientGone();
      });
      void withSpan(span, () => session.run()).finally(() => span.end());
      return reply;
    });
  }
}

function writerOptions(
  route: 'chat' | 'completions',
  lease: Lease,
  correlationId: string,
  deps: OpenAiRouteDeps,
  stream: boolean,
  includeUsage: boolean,
  fingerprint: string,
): ConstructorParameters<typeof OpenAiWriter>[1] {
  return {
    route,
    stream,
    includeUsage,
    id: lease.task.taskId,
    model: lease.task.modelRef,
    fingerprint,
    headers: {
      [CORRELATION_HEADER]: correlationId,
      'x-orch-seed': String(resolveSeed(lease.task.taskId, lease.task.seed)),
      'x-orch-replica-id': deps.replicaId,
    },
  };
}

function nodeOut(reply: FastifyReply): ConstructorParameters<typeof OpenAiWriter>[0] {
  const raw = reply.raw;
  return {
    head: (status, headers) => {
      if (raw.destroyed || raw.headersSent) return;
      // No flushHeaders: the head leaves with the first chunk, in one write (issue 19).
      raw.writeHead(status, headers);
    },
    write: (chunk) => {
      if (!raw.destroyed) raw.write(chunk);
    },
    end: () => {
      if (!raw.destroyed) raw.end();
    },
  };
}

function refusal(reason: ClaimFailure): string {
  return {
    missing: 'no x-orch-lease-id header',
    unknown: 'unknown lease',
    task_mismatch: 'lease belongs to another task',
    used: 'lease already used',
    expired: 'lease expired',
  }[reason];
}
