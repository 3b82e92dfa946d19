// Spans of the placement service: the REST handlers and the ext_proc hold join the caller's
// trace. The hold span's parent is Envoy's ext_proc span when Envoy traces (its context arrives
// as gRPC metadata, made active by joinEnvoyTrace), else the client's traceparent from the
// request headers. A routed stream carries the hold span's context on in `traceparent`; when
// Envoy traces, its router replaces that with its upstream span, so the sidecar becomes a child
// of Envoy's routed-request span (issue 9). No-ops unless tracing started.
import { openAiRouteOf } from '@llama-orch/contracts';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { Context, Link, Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Placer } from '../extproc/handler.js';
import { rememberAdmit, takeAdmit } from './task-links.js';

const tracer = trace.getTracer('llama-orch-placement');

function holdParent(headers: Readonly<Record<string, string>>): Context {
  const active = context.active();
  if (trace.getSpanContext(active) !== undefined) return active;
  return propagation.extract(ROOT_CONTEXT, headers);
}

export function tracedPlacer(placer: Placer): Placer {
  return {
    decide: async (request, signal) => {
      const parent = holdParent(request.headers);
      const admit = takeAdmit(request.taskId);
      const links: Link[] = admit ? [{ context: admit, attributes: { 'orch.link': 'admit' } }] : [];
      const span = tracer.startSpan(
        'placement.hold',
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': request.method,
            'orch.task_id': request.taskId ?? '',
            'orch.correlation_id': request.correlationId ?? '',
            // ORCH-3103: which public API the request came in on.
            'orch.api': openAiRouteOf(request.path) === undefined ? 'orchqueue' : 'openai',
          },
          links,
        },
        parent,
      );
      try {
        const decision = await placer.decide(request, signal);
        span.setAttribute('orch.decision', decision.kind);
        if (decision.kind !== 'route') return decision;
        const carrier: Record<string, string> = {};
        propagation.inject(trace.setSpan(parent, span), carrier);
        return { ...decision, setHeaders: { ...decision.setHeaders, ...carrier } };
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  };
}

export function traceRest(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', async (request) => {
    // Scrapes every few seconds would drown the traces that matter.
    if (request.url === '/metrics') return;
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url ?? request.url;
    spans.set(
      request,
      tracer.startSpan(
        `${request.method} ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': request.method, 'http.route': route },
        },
        parent,
      ),
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (span === undefined) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    const taskId = admittedTaskId(request, reply.statusCode);
    if (taskId !== undefined && span.isRecording()) {
      span.setAttribute('orch.task_id', taskId);
      rememberAdmit(taskId, span.spanContext());
    }
    span.end();
  });
}

function admittedTaskId(request: FastifyRequest, status: number): string | undefined {
  if (request.method !== 'POST' || request.routeOptions.url !== '/v1/tasks' || status !== 202) {
    return undefined;
  }
  const id = (request.body as { task_id?: unknown } | undefined)?.task_id;
  return typeof id === 'string' ? id : undefined;
}
