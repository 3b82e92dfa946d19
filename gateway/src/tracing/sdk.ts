// OpenTelemetry for the placement service (issue 9): started only when an OTLP endpoint is
// configured, entirely from the standard OTEL_* variables (exporter, protocol, batch delay).
// Without it the @opentelemetry/api calls in spans.ts are no-ops and nothing is exported.
// The SDK (exporters, grpc-js, protobufjs: ~10 MiB resident) is imported only when an endpoint
// is set (issue 19): a placement without tracing never loads it.

interface Tracing {
  shutdown(): Promise<void>;
}

export async function startTracing(
  env: NodeJS.ProcessEnv,
  serviceName: string,
): Promise<Tracing | undefined> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  const { startNodeSdk } = await import('@opentelemetry/sdk-node');
  return startNodeSdk({
    resourceAttributes: { 'service.name': env.OTEL_SERVICE_NAME ?? serviceName },
    // Host and process detectors add nothing an operator needs here and cost startup time.
    resourceDetectors: [],
  });
}
