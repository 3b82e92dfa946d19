// Options of the Envoy bootstrap and their defaults; resolveEnvoyOptions rejects values Envoy
// would accept but that break the edge (a hold longer than the idle timeout cuts queued streams).
import type { ExtProcTlsOptions } from './ext-proc-tls.js';

export interface EnvoyTracingOptions {
  /** OTLP/HTTP collector base URL, e.g. http://127.0.0.1:4318 (spans go to `${endpoint}/v1/traces`). */
  readonly endpoint: string;
  /** `service.name` of Envoy's spans (default llama-orch-envoy). */
  readonly serviceName?: string;
  /** Percent of requests without a sampled client traceparent that start a trace (default 100). */
  readonly samplingPercent?: number;
}

export interface EnvoyBootstrapOptions {
  /** ORCH-3142: mutual TLS to placement's ext_proc listener; absent = plaintext (loopback only). */
  readonly extProcTls?: ExtProcTlsOptions;
  /** Address every listener binds to (loopback by default). */
  readonly bindAddress?: string;
  /** Public listener port (default 8080). */
  readonly listenPort?: number;
  /** Admin port (default 9901). */
  readonly adminPort?: number;
  /** Host of the gateway (REST and ext_proc); must be a literal IP for STATIC clusters. */
  readonly gatewayHost?: string;
  /** Gateway REST port (default 8081). */
  readonly restPort?: number;
  /** Gateway ext_proc gRPC port (default 9002). */
  readonly extProcPort?: number;
  /** How long ext_proc may hold a queued stream request before Envoy gives up (default 300 s). */
  readonly extProcMessageTimeoutMs?: number;
  /** Idle timeout on the stream route; must exceed the hold time (default hold + 60 s). */
  readonly streamIdleTimeoutMs?: number;
  /** Timeout of REST calls to the gateway (default 30 s). */
  readonly restTimeoutMs?: number;
  /** ORCH-3104: the most body Envoy buffers for placement on the OpenAI routes (default 1 MiB). */
  readonly openAiBodyLimitBytes?: number;
  /** Upstream connect timeout for every cluster (default 1 s, so fail-closed is prompt). */
  readonly connectTimeoutMs?: number;
  /** Write one JSON access-log line per request to stdout (default false). */
  readonly accessLog?: boolean;
  /** Envoy's OpenTelemetry tracer; absent (the default) means no tracing config at all. */
  readonly tracing?: EnvoyTracingOptions;
}

export interface ResolvedTracing {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly serviceName: string;
  readonly samplingPercent: number;
}

export type ResolvedEnvoyOptions = Required<
  Omit<EnvoyBootstrapOptions, 'tracing' | 'extProcTls'>
> & {
  readonly tracing: ResolvedTracing | undefined;
  readonly extProcTls: ExtProcTlsOptions | undefined;
};

export const ENVOY_DEFAULTS: Omit<
  ResolvedEnvoyOptions,
  'streamIdleTimeoutMs' | 'tracing' | 'extProcTls'
> = {
  bindAddress: '127.0.0.1',
  listenPort: 8080,
  adminPort: 9901,
  gatewayHost: '127.0.0.1',
  restPort: 8081,
  extProcPort: 9002,
  extProcMessageTimeoutMs: 300_000,
  restTimeoutMs: 30_000,
  openAiBodyLimitBytes: 1_048_576,
  connectTimeoutMs: 1_000,
  accessLog: false,
};

const MAX_HOLD_MS = 3_600_000;

export function resolveEnvoyOptions(options: EnvoyBootstrapOptions = {}): ResolvedEnvoyOptions {
  const { tracing, extProcTls, ...rest } = options;
  const merged = { ...ENVOY_DEFAULTS, ...stripUndefined(rest) };
  const hold = merged.extProcMessageTimeoutMs;
  if (!Number.isInteger(hold) || hold <= 0 || hold > MAX_HOLD_MS) {
    throw new RangeError(`extProcMessageTimeoutMs must be an integer in (0, ${MAX_HOLD_MS}]`);
  }
  const streamIdleTimeoutMs = options.streamIdleTimeoutMs ?? hold + 60_000;
  if (streamIdleTimeoutMs <= hold) {
    // A shorter idle timeout would cut held requests before placement answers.
    throw new RangeError('streamIdleTimeoutMs must exceed extProcMessageTimeoutMs');
  }
  for (const key of ['listenPort', 'adminPort', 'restPort', 'extProcPort'] as const) {
    const port = merged[key];
    if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
      throw new RangeError(`${key} must be a TCP port, got ${String(port)}`);
    }
  }
  return {
    ...merged,
    streamIdleTimeoutMs,
    tracing: tracing === undefined ? undefined : resolveTracing(tracing),
    extProcTls,
  };
}

function resolveTracing(t: EnvoyTracingOptions): ResolvedTracing {
  let url: URL;
  try {
    url = new URL(t.endpoint);
  } catch {
    throw new RangeError(`tracing.endpoint must be an http URL, got ${t.endpoint}`);
  }
  if (url.protocol !== 'http:') {
    // Envoy would need a TLS transport socket for https; the collector sits beside the edge.
    throw new RangeError(`tracing.endpoint must be plain http, got ${url.protocol}`);
  }
  const samplingPercent = t.samplingPercent ?? 100;
  if (!(samplingPercent >= 0 && samplingPercent <= 100)) {
    throw new RangeError('tracing.samplingPercent must be within [0, 100]');
  }
  const base = url.pathname.replace(/\/+$/, '');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 80 : Number(url.port),
    // The OTLP/HTTP convention: a base endpoint gets /v1/traces appended.
    path: base.endsWith('/v1/traces') ? base : `${base}/v1/traces`,
    serviceName: t.serviceName ?? 'llama-orch-envoy',
    samplingPercent,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
