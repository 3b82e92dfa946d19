// A minimal Envoy bootstrap: one loopback listener proxying everything to one upstream.
// Used by `npm run up` until the real edge config (envoy/) fronts the gateway, and by the smoke
// tests to prove the Envoy binary works. Streams are long: route timeout 0 (ORCH-4002 spirit).
import { run } from '../toolchain/exec.js';

export interface LoopbackEnvoyOptions {
  listenPort: number;
  adminPort: number;
  upstreamPort: number;
  upstreamHost?: string;
}

export function renderLoopbackEnvoy(o: LoopbackEnvoyOptions): string {
  const sock = (port: number, address = '127.0.0.1'): object => ({
    socket_address: { address, port_value: port },
  });
  const config = {
    admin: { address: sock(o.adminPort) },
    // An explicit connection cap (Envoy warns at startup without one).
    overload_manager: {
      resource_monitors: [
        {
          name: 'envoy.resource_monitors.global_downstream_max_connections',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
            max_active_downstream_connections: 10_000,
          },
        },
      ],
    },
    static_resources: {
      listeners: [
        {
          name: 'edge',
          address: sock(o.listenPort),
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type':
                      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'edge',
                    route_config: {
                      name: 'local',
                      virtual_hosts: [
                        {
                          name: 'engine',
                          domains: ['*'],
                          routes: [
                            { match: { prefix: '/' }, route: { cluster: 'engine', timeout: '0s' } },
                          ],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: 'envoy.filters.http.router',
                        typed_config: {
                          '@type':
                            'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                        },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'engine',
          type: 'STATIC',
          connect_timeout: '2s',
          load_assignment: {
            cluster_name: 'engine',
            endpoints: [
              { lb_endpoints: [{ endpoint: { address: sock(o.upstreamPort, o.upstreamHost) } }] },
            ],
          },
        },
      ],
    },
  };
  return JSON.stringify(config, null, 2) + '\n';
}

/** Flags for running several Envoys side by side on one host (tests, `up`), on few cores. */
export const ENVOY_LOCAL_FLAGS = ['--disable-hot-restart', '--concurrency', '1'] as const;

/** `envoy --mode validate`; throws with Envoy's own message when the config is rejected. */
export async function validateEnvoyConfig(bin: string, configPath: string): Promise<string> {
  const res = await run(bin, ['--mode', 'validate', '-c', configPath, ...ENVOY_LOCAL_FLAGS], {
    timeoutMs: 60_000,
  });
  const out = (res.stdout + res.stderr).trim();
  if (res.code !== 0) {
    throw new Error(
      `envoy rejected ${configPath} (exit ${res.code}):\n${out.split('\n').slice(-10).join('\n')}`,
    );
  }
  return out;
}
