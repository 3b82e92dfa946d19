// OpenTelemetry in the sidecar (issue 9): started only when an OTLP endpoint is configured
// (standard OTEL_* variables). The stream span continues the routed request's traceparent (set by
// placement's ext_proc answer, or by Envoy's tracer), and each engine call is a child span.
// The SDK (exporters, grpc-js, protobufjs: ~10 MiB resident) is imported only when an endpoint
// is set, as in placement: a sidecar without tracing never loads it.
import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { EngineAdapter, GenerationEvent, GenerationRequest } from './adapters/types.js';

const tracer = trace.getTracer('llama-orch-sidecar');

export async function startTracing(
  env: NodeJS.ProcessEnv,
  serviceName: string,
): Promise<{ shutdown(): Promise<void> } | undefined> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  const { startNodeSdk } = await import('@opentelemetry/sdk-node');
  return startNodeSdk({
    resourceAttributes: { 'service.name': env.OTEL_SERVICE_NAME ?? serviceName },
    resourceDetectors: [],
  });
}

export function startStreamSpan(
  headers: Record<string, string | string[] | undefined>,
  attributes: Record<string, string>,
): Span {
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  return tracer.startSpan('sidecar.stream', { kind: SpanKind.SERVER, attributes }, parent);
}

/** Runs `fn` with `span` active, so work it starts (the engine call) becomes its child. */
export function withSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** The adapter with each generate() call wrapped in an `engine.generate` child span. */
export function tracedAdapter(adapter: EngineAdapter): EngineAdapter {
  async function* generate(req: GenerationRequest): AsyncIterable<GenerationEvent> {
    const span = tracer.startSpan(
      'engine.generate',
      { kind: SpanKind.CLIENT, attributes: { 'orch.engine': adapter.engine } },
      context.active(),
    );
    let tokens = 0;
    try {
      for await (const ev of adapter.generate(req)) {
        if (ev.type === 'token') tokens += 1;
        else span.setAttribute('orch.reason', ev.outcome.reason);
        yield ev;
      }
    } finally {
      span.setAttribute('orch.tokens_out', tokens);
      span.end();
    }
  }
  return new Proxy(adapter, {
    get(target, prop) {
      if (prop === 'generate') return generate;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
