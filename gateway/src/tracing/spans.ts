// Spans of the placement service: the REST handlers and the ext_proc hold join the caller's
// trace (W3C traceparent from the request headers); a routed stream carries the hold span's
// context on, so the sidecar continues the same trace (issue 9). No-ops unless tracing started.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Placer } from '../extproc/handler.js';

const tracer = trace.getTracer('llama-orch-placement');

export function tracedPlacer(placer: Placer): Placer {
  return {
    decide: async (request, signal) => {
      const parent = propagation.extract(ROOT_CONTEXT, request.headers);
      const span = tracer.startSpan(
        'placement.hold',
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': request.method,
            'orch.task_id': request.taskId ?? '',
            'orch.correlation_id': request.correlationId ?? '',
          },
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
    span?.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
    span?.end();
  });
}
