// Tracing for a local stack (issue 9), off unless asked for: Envoy's bootstrap gets its
// OpenTelemetry tracer, and placement and every sidecar get the standard OTEL_* variables their
// SDKs start from. All three export OTLP/HTTP (protobuf) to the same collector.
import type { EnvoyTracingOptions } from '@llama-orch/envoy';

export interface StackTracing {
  /** OTLP/HTTP collector base URL, e.g. http://127.0.0.1:4318. */
  readonly otlpEndpoint: string;
  /** Percent of requests without a client traceparent that Envoy traces (default 100). */
  readonly samplingPercent?: number;
  /** Batch span processor delay of the Node SDKs (default: the SDK's 5 s). */
  readonly batchDelayMs?: number;
}

export function envoyTracing(t: StackTracing | undefined): EnvoyTracingOptions | undefined {
  return t && { endpoint: t.otlpEndpoint, samplingPercent: t.samplingPercent };
}

/** The environment of a Node child (placement, sidecar): the parent's, plus the OTel variables. */
export function tracingEnv(t: StackTracing | undefined): NodeJS.ProcessEnv | undefined {
  if (!t) return undefined;
  return {
    ...process.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: t.otlpEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    // Every span the SDK makes is exported; the sampling decision is the caller's (Envoy's).
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    ...(t.batchDelayMs === undefined ? {} : { OTEL_BSP_SCHEDULE_DELAY: String(t.batchDelayMs) }),
  };
}
