// Envoy's OpenTelemetry tracer (issue 9), present only when the bootstrap is given a collector.
// Envoy starts the trace, or continues a client's W3C traceparent; the router's upstream span
// (spawn_upstream_span) is what the routed request's traceparent names, so the sidecar's span is
// its child. The ext_proc gRPC call gets its own child span, whose context Envoy sends as gRPC
// metadata; placement's hold span joins it (gateway/src/tracing/).
//
// Sampling: requests that carry a client traceparent follow its sampled flag; others are sampled
// at `samplingPercent` (random_sampling). Spans leave Envoy over OTLP/HTTP protobuf.
import { CLUSTER_OTLP } from './names.js';
import type { ResolvedTracing } from './options.js';
import { durationMs, socketAddress } from './yaml-parts.js';

const IPV4_OR_6 = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]+)$/i;

export function hcmTracing(t: ResolvedTracing): Record<string, unknown> {
  return {
    random_sampling: { value: t.samplingPercent },
    spawn_upstream_span: true,
    provider: {
      name: 'envoy.tracers.opentelemetry',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
        service_name: t.serviceName,
        http_service: {
          http_uri: {
            uri: `http://${t.host}:${t.port}${t.path}`,
            cluster: CLUSTER_OTLP,
            timeout: durationMs(2_000),
          },
        },
      },
    },
  };
}

export function otlpCluster(t: ResolvedTracing, connectTimeoutMs: number): Record<string, unknown> {
  return {
    name: CLUSTER_OTLP,
    // A literal address needs no resolver; a name is resolved like any DNS upstream.
    type: IPV4_OR_6.test(t.host) ? 'STATIC' : 'STRICT_DNS',
    connect_timeout: durationMs(connectTimeoutMs),
    load_assignment: {
      cluster_name: CLUSTER_OTLP,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(t.host, t.port) } }] }],
    },
  };
}
