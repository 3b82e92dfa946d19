import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildEnvoyBootstrap, renderEnvoyBootstrap, resolveEnvoyOptions } from './bootstrap.js';
import { UPSTREAM_IDLE_TIMEOUT_MS } from './clusters.js';
import { CLUSTER_REPLICAS, CLUSTER_REST } from './names.js';

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

interface Route {
  name: string;
  match: Record<string, unknown>;
  route?: Record<string, unknown>;
  typed_per_filter_config?: Record<string, { disabled?: boolean }>;
}

function hcm(yamlText: string): Record<string, unknown> {
  const doc = parse(yamlText) as {
    static_resources: {
      listeners: { filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] }[];
    };
  };
  const config = doc.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config;
  if (!config) throw new Error('no HCM');
  return config;
}

function routes(config: Record<string, unknown>): Route[] {
  const rc = config.route_config as { virtual_hosts: { routes: Route[] }[] };
  return rc.virtual_hosts[0]?.routes ?? [];
}

describe('renderEnvoyBootstrap', () => {
  it('ORCH-4001: listener and admin bind loopback on the default ports', () => {
    const doc = parse(renderEnvoyBootstrap()) as Record<string, unknown>;
    expect(JSON.stringify(doc)).toContain('"port_value":8080');
    expect(JSON.stringify(doc)).toContain('"port_value":9901');
    expect(JSON.stringify(doc)).not.toContain('0.0.0.0');
  });

  it('ORCH-4002: only the stream and OpenAI routes run ext_proc, with route timeout 0', () => {
    const all = routes(hcm(renderEnvoyBootstrap()));
    const stream = all.find((r) => r.name === 'task_stream');
    expect(stream?.route).toMatchObject({ cluster: 'replicas', timeout: '0s' });
    expect(stream?.typed_per_filter_config).toBeUndefined();
    const placed = ['task_stream', 'openai_chat', 'openai_completions'];
    for (const r of all.filter((x) => !placed.includes(x.name))) {
      expect(r.typed_per_filter_config?.['envoy.filters.http.ext_proc']?.disabled).toBe(true);
    }
    const regex = new RegExp((stream?.match.safe_regex as { regex: string }).regex);
    expect(regex.test('/v1/tasks/abc/stream')).toBe(true);
    expect(regex.test('/v1/tasks/abc/cancel')).toBe(false);
    expect(regex.test('/v1/tasks/a/b/stream')).toBe(false);
  });

  it('ORCH-3104: bodies reach ext_proc on the two OpenAI routes only, bounded', () => {
    const all = routes(hcm(renderEnvoyBootstrap({ openAiBodyLimitBytes: 4096 })));
    for (const [name, path] of [
      ['openai_chat', '/v1/chat/completions'],
      ['openai_completions', '/v1/completions'],
    ] as const) {
      const r = all.find((x) => x.name === name) as unknown as Record<string, unknown> & {
        typed_per_filter_config: Record<string, { overrides?: { processing_mode?: unknown } }>;
      };
      expect(r.match).toMatchObject({ path });
      expect(r.route).toMatchObject({ cluster: 'replicas', timeout: '0s' });
      expect(r['request_body_buffer_limit']).toBe(4096);
      expect(
        r.typed_per_filter_config['envoy.filters.http.ext_proc']?.overrides?.processing_mode,
      ).toMatchObject({ request_header_mode: 'SEND', request_body_mode: 'BUFFERED' });
      // Routed before the REST catch-all, which would never send a body to placement.
      expect(all.findIndex((x) => x.name === name)).toBeLessThan(
        all.findIndex((x) => x.name === 'rest_v1'),
      );
    }
    // The filter default (every other route that runs ext_proc) never sends a body.
    expect(JSON.stringify(hcm(renderEnvoyBootstrap()).http_filters)).toContain(
      '"request_body_mode":"NONE"',
    );
  });

  it('ORCH-4002/ORCH-4004: ext_proc sends request headers only, holds long, fails closed', () => {
    const filters = hcm(renderEnvoyBootstrap()).http_filters as {
      name: string;
      typed_config: Record<string, unknown>;
    }[];
    expect(filters.map((f) => f.name)).toEqual([
      'envoy.filters.http.header_mutation',
      'envoy.filters.http.ext_proc',
      'envoy.filters.http.router',
    ]);
    expect(filters[1]?.typed_config).toMatchObject({
      failure_mode_allow: false,
      message_timeout: '300s',
      processing_mode: {
        request_header_mode: 'SEND',
        response_header_mode: 'SKIP',
        request_body_mode: 'NONE',
        response_body_mode: 'NONE',
      },
    });
  });

  it('ORCH-4003: client copies of the routing and lease headers are removed before ext_proc', () => {
    const filters = hcm(renderEnvoyBootstrap()).http_filters as {
      name: string;
      typed_config: { mutations?: { request_mutations: { remove: string }[] } };
    }[];
    expect(filters[0]?.name).toBe('envoy.filters.http.header_mutation');
    expect(
      filters[0]?.typed_config.mutations?.request_mutations.slice(0, 2).map((m) => m.remove),
    ).toEqual(['x-gateway-destination-endpoint', 'x-orch-lease-id']);
  });

  it('ORCH-2052: a missing X-Correlation-Id is filled from x-request-id, never overwritten', () => {
    const filters = hcm(renderEnvoyBootstrap()).http_filters as {
      typed_config: { mutations?: { request_mutations: Record<string, unknown>[] } };
    }[];
    expect(filters[0]?.typed_config.mutations?.request_mutations).toContainEqual({
      append: {
        header: { key: 'x-correlation-id', value: '%REQ(X-REQUEST-ID)%' },
        append_action: 'ADD_IF_ABSENT',
      },
    });
    // ORCH-4003/4032: client copies of placement's routing headers never reach a sidecar.
    expect(filters[0]?.typed_config.mutations?.request_mutations).toEqual(
      expect.arrayContaining([
        { remove: 'x-gateway-destination-endpoint' },
        { remove: 'x-orch-lease-id' },
        { remove: 'x-orch-resume' },
      ]),
    );
  });

  it('ORCH-4003: the replica cluster is ORIGINAL_DST on the placement header; ext_proc is HTTP/2', () => {
    const doc = buildEnvoyBootstrap({ extProcPort: 19002 }) as {
      static_resources: { clusters: Record<string, unknown>[] };
    };
    const byName = Object.fromEntries(doc.static_resources.clusters.map((c) => [c.name, c]));
    expect(byName.replicas).toMatchObject({
      type: 'ORIGINAL_DST',
      lb_policy: 'CLUSTER_PROVIDED',
      original_dst_lb_config: {
        use_http_header: true,
        http_header_name: 'x-gateway-destination-endpoint',
      },
      // Replica hosts and their keep-alive connections outlive Envoy's 5 s default.
      cleanup_interval: '300s',
    });
    expect(JSON.stringify(byName.placement_ext_proc)).toContain('http2_protocol_options');
    expect(JSON.stringify(byName.placement_ext_proc)).toContain('19002');
    // Envoy closes an idle connection to a sidecar or to placement's REST port before fastify's
    // 72 s keep-alive would, or a request can be written on a connection being closed (a 503).
    for (const name of [CLUSTER_REPLICAS, CLUSTER_REST]) {
      const cluster = byName[name] as {
        typed_extension_protocol_options: Record<
          string,
          { common_http_protocol_options: { idle_timeout: string } }
        >;
      };
      const http = cluster.typed_extension_protocol_options[HTTP_OPTIONS];
      expect(http?.common_http_protocol_options.idle_timeout, name).toBe('60s');
      expect(UPSTREAM_IDLE_TIMEOUT_MS).toBeLessThan(72_000);
    }
  });

  it('ORCH-4005: the idle timeout always exceeds the hold time', () => {
    expect(resolveEnvoyOptions({ extProcMessageTimeoutMs: 10_000 }).streamIdleTimeoutMs).toBe(
      70_000,
    );
    expect(() =>
      resolveEnvoyOptions({ extProcMessageTimeoutMs: 10_000, streamIdleTimeoutMs: 5_000 }),
    ).toThrow(RangeError);
    expect(() => resolveEnvoyOptions({ listenPort: 0 })).toThrow(RangeError);
  });

  it('ORCH-3042: no tracing config at all unless a collector is given', () => {
    const text = renderEnvoyBootstrap();
    expect(hcm(text).tracing).toBeUndefined();
    expect(text).not.toContain('opentelemetry');
    expect(text).not.toContain('otlp_collector');
  });

  it('ORCH-3042: tracing exports OTLP/HTTP to the collector, spawns upstream spans, skips scrapes', () => {
    const doc = buildEnvoyBootstrap({
      tracing: { endpoint: 'http://127.0.0.1:4318', samplingPercent: 25 },
    }) as { static_resources: { clusters: Record<string, unknown>[] } };
    const text = renderEnvoyBootstrap({ tracing: { endpoint: 'http://127.0.0.1:4318' } });
    expect(hcm(text).tracing).toMatchObject({
      random_sampling: { value: 100 },
      spawn_upstream_span: true,
      provider: {
        name: 'envoy.tracers.opentelemetry',
        typed_config: {
          service_name: 'llama-orch-envoy',
          http_service: {
            http_uri: { uri: 'http://127.0.0.1:4318/v1/traces', cluster: 'otlp_collector' },
          },
        },
      },
    });
    const collector = doc.static_resources.clusters.find((c) => c.name === 'otlp_collector');
    expect(JSON.stringify(collector)).toContain('"port_value":4318');
    expect(collector?.type).toBe('STATIC');
    const metrics = routes(hcm(text)).find((r) => r.name === 'metrics') as { tracing?: unknown };
    expect(metrics.tracing).toEqual({ random_sampling: { numerator: 0 } });
    const listener = JSON.stringify(doc);
    expect(listener).toContain('"value":25');
  });

  it('ORCH-3042: a tracing endpoint Envoy cannot reach in plain HTTP is refused', () => {
    expect(() => resolveEnvoyOptions({ tracing: { endpoint: 'https://c:4318' } })).toThrow(
      RangeError,
    );
    expect(() => resolveEnvoyOptions({ tracing: { endpoint: 'not a url' } })).toThrow(RangeError);
    expect(() =>
      resolveEnvoyOptions({ tracing: { endpoint: 'http://c:4318', samplingPercent: 101 } }),
    ).toThrow(RangeError);
    expect(
      resolveEnvoyOptions({ tracing: { endpoint: 'http://c:4318/v1/traces' } }).tracing,
    ).toMatchObject({ host: 'c', port: 4318, path: '/v1/traces' });
  });
});
