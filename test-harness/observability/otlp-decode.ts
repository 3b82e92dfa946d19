// Decodes OTLP/protobuf trace exports with the generated protobufjs root that
// @opentelemetry/otlp-transformer 0.57 ships (installed under the alias otlp-proto-root; later
// versions dropped it). Nothing is copied into the repo. Output has the shape of the OTLP JSON
// encoding (hex ids), so one flattener serves both encodings.
import { createRequire } from 'node:module';

export interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
export interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano?: string;
  attributes?: KeyValue[];
  links?: { traceId: string; spanId: string }[];
}
export interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

interface MessageType {
  decode(buf: Uint8Array): unknown;
  toObject(msg: unknown, opts: Record<string, unknown>): unknown;
}
interface ProtoRoot {
  opentelemetry: {
    proto: { collector: { trace: { v1: { ExportTraceServiceRequest: MessageType } } } };
  };
}

let requestType: MessageType | undefined;

function exportTraceServiceRequest(): MessageType {
  if (requestType) return requestType;
  const require = createRequire(import.meta.url);
  const root = require('otlp-proto-root/build/src/generated/root.js') as ProtoRoot;
  requestType = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  return requestType;
}

interface RawSpan extends Omit<OtlpSpan, 'traceId' | 'spanId' | 'parentSpanId' | 'links'> {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  links?: { traceId?: Uint8Array; spanId?: Uint8Array }[];
}

const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : '');

export function decodeProtobufTraces(body: Uint8Array): ExportRequest {
  const type = exportTraceServiceRequest();
  const raw = type.toObject(type.decode(body), {
    longs: String,
    enums: Number,
    defaults: false,
  }) as {
    resourceSpans?: {
      resource?: { attributes?: KeyValue[] };
      scopeSpans?: { spans?: RawSpan[] }[];
    }[];
  };
  return {
    resourceSpans: (raw.resourceSpans ?? []).map((rs) => ({
      resource: rs.resource,
      scopeSpans: (rs.scopeSpans ?? []).map((ss) => ({
        spans: (ss.spans ?? []).map((s) => ({
          ...s,
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
        })),
      })),
    })),
  };
}
