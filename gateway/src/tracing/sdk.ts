// OpenTelemetry for the placement service (issue 9): started only when an OTLP endpoint is
// configured, entirely from the standard OTEL_* variables (exporter, protocol, batch delay).
// Without it the @opentelemetry/api calls in spans.ts are no-ops and nothing is exported.
import { startNodeSdk } from '@opentelemetry/sdk-node';

export interface Tracing {
  shutdown(): Promise<void>;
}

export function startTracing(env: NodeJS.ProcessEnv, serviceName: string): Tracing | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  return startNodeSdk({
    resourceAttributes: { 'service.name': env.OTEL_SERVICE_NAME ?? serviceName },
    // Host and process detectors add nothing an operator needs here and cost startup time.
    resourceDetectors: [],
  });
}
