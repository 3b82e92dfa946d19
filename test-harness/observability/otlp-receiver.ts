// An in-process OTLP/HTTP receiver for trace tests: collects every span the stack's processes
// export, flattened with the exporting service's name. Takes both encodings: JSON (what the
// Node SDKs send with OTEL_EXPORTER_OTLP_PROTOCOL=http/json) and protobuf (what Envoy's
// OpenTelemetry tracer sends), decoded with the OTel protos an npm package ships (otlp-decode.ts).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeProtobufTraces } from './otlp-decode.js';
import type { AnyValue, ExportRequest, KeyValue } from './otlp-decode.js';

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind number (1 internal, 2 server, 3 client); 0 when unset. */
  kind: number;
  /** Nanoseconds since the epoch, as a decimal string (ordering for printouts). */
  startTimeUnixNano: string;
  attributes: Record<string, unknown>;
  /** Span links (trace id, span id), e.g. the hold span's link to its task's admit span. */
  links: { traceId: string; spanId: string }[];
}

// int64 values arrive as strings from protobuf (and may from JSON): numbers here, in both cases.
const valueOf = (v: AnyValue | undefined): unknown =>
  v?.intValue !== undefined
    ? Number(v.intValue)
    : (v?.stringValue ?? v?.boolValue ?? v?.doubleValue);

const record = (kvs: KeyValue[] = []): Record<string, unknown> =>
  Object.fromEntries(kvs.map((kv) => [kv.key, valueOf(kv.value)]));

// The JSON encoding spells kind as a number; protobuf's toObject (enums: Number) too.
function flatten(request: ExportRequest, into: ReceivedSpan[]): void {
  for (const rs of request.resourceSpans ?? []) {
    const service = String(record(rs.resource?.attributes)['service.name'] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        into.push({
          service,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: Number(s.kind ?? 0),
          startTimeUnixNano: String(s.startTimeUnixNano ?? '0'),
          attributes: record(s.attributes),
          links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
        });
      }
    }
  }
}

export interface OtlpReceiver {
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** Content types of the export requests seen, e.g. application/x-protobuf (for assertions). */
  readonly contentTypes: Set<string>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const type = String(req.headers['content-type'] ?? '');
      const path = (req.url ?? '').split('?')[0];
      try {
        if (path === '/v1/traces') {
          contentTypes.add(type);
          if (type.includes('json'))
            flatten(JSON.parse(body.toString('utf8')) as ExportRequest, spans);
          else if (type.includes('protobuf')) flatten(decodeProtobufTraces(body), spans);
        }
      } catch {
        res.writeHead(400).end();
        return;
      }
      // An empty ExportTraceServiceResponse is valid in both encodings.
      if (type.includes('json'))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
