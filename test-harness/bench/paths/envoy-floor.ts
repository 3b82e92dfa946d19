// The floor of the side-by-side bench: the same Envoy binary with one static route and no
// ext_proc. It forwards every request to the engine the client names in the destination header,
// through the product bootstrap's own `replicas` cluster (ORIGINAL_DST on that header), so the
// only difference from the full path is everything placement and the sidecar add.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildEnvoyBootstrap } from '@llama-orch/envoy';
import type { Supervisor, Toolchain } from '@llama-orch/tools';

export interface EnvoyFloor {
  readonly url: string;
  tail(): string[];
}

/** The HCM's access log, with the same per-hop fields as the edge's (envoy/src/local-reply.ts). */
function accessLog(): Record<string, unknown> {
  return {
    name: 'envoy.access_loggers.stdout',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
      log_format: {
        json_format: {
          path: '%REQ(:PATH)%',
          status: '%RESPONSE_CODE%',
          duration_ms: '%DURATION%',
          filters_us: '%COMMON_DURATION(DS_RX_BEG:US_TX_BEG:us)%',
          upstream_first_byte_us: '%COMMON_DURATION(US_TX_BEG:US_RX_BEG:us)%',
          relay_first_byte_us: '%COMMON_DURATION(US_RX_BEG:DS_TX_BEG:us)%',
          correlation_id: '%REQ(X-CORRELATION-ID)%',
        },
      },
    },
  };
}

function floorBootstrap(listenPort: number, adminPort: number): string {
  const product = buildEnvoyBootstrap({ listenPort, adminPort, accessLog: true });
  const clusters = (product.static_resources as { clusters: { name: string }[] }).clusters;
  const replicas = clusters.find((c) => c.name === 'replicas');
  if (!replicas) throw new Error('the product bootstrap has no replicas cluster');
  const hcm = {
    '@type':
      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: 'floor',
    codec_type: 'AUTO',
    access_log: [accessLog()],
    route_config: {
      virtual_hosts: [
        {
          name: 'floor',
          domains: ['*'],
          routes: [{ match: { prefix: '/' }, route: { cluster: 'replicas', timeout: '0s' } }],
        },
      ],
    },
    http_filters: [
      {
        name: 'envoy.filters.http.router',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
        },
      },
    ],
  };
  return stringify(
    {
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
      static_resources: {
        listeners: [
          {
            name: 'floor',
            address: { socket_address: { address: '127.0.0.1', port_value: listenPort } },
            filter_chains: [
              {
                filters: [
                  { name: 'envoy.filters.network.http_connection_manager', typed_config: hcm },
                ],
              },
            ],
          },
        ],
        clusters: [replicas],
      },
    },
    { lineWidth: 0, aliasDuplicateObjects: false },
  );
}

export async function startEnvoyFloor(
  sup: Supervisor,
  toolchain: Toolchain,
  dir: string,
  ports: { listen: number; admin: number },
  /** An engine URL that answers GET /health, to know the floor routes. */
  probeEngine: string,
): Promise<EnvoyFloor> {
  const path = join(dir, 'envoy-floor.yaml');
  await writeFile(path, floorBootstrap(ports.listen, ports.admin));
  const child = sup.start({
    name: 'envoy-floor',
    cmd: toolchain.envoy.bin,
    args: ['-c', path, '--use-dynamic-base-id', '--log-level', 'warn'],
  });
  const url = `http://127.0.0.1:${ports.listen}`;
  const host = new URL(probeEngine).host;
  let exited = false;
  void child.exited.then(() => (exited = true));
  let last = 'no attempt';
  // Bounded: 300 tries 200 ms apart (60 s), failing with what the last try saw.
  for (let i = 0; i < 300; i++) {
    if (exited) throw new Error(`envoy-floor exited: ${child.tail().join('\n')}`);
    try {
      const res = await fetch(`${url}/health`, {
        headers: { 'x-gateway-destination-endpoint': host },
        signal: AbortSignal.timeout(5_000),
      });
      await res.body?.cancel();
      if (res.status === 200) return { url, tail: () => child.tail() };
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`envoy-floor never routed GET /health: ${last}`);
}
