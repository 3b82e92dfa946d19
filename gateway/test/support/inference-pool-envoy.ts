// A plain Envoy configured the way a Gateway API Inference Extension gateway configures itself for
// an InferencePool whose endpoint picker is placement (ORCH-4018): the stream route runs ext_proc
// against the picker (request headers only, fail closed) and goes to an ORIGINAL_DST cluster that
// takes its host from the `envoy.lb` dynamic metadata key `x-gateway-destination-endpoint` —
// never from the request header, so only the metadata channel can route. Our own edge
// (@llama-orch/envoy) uses the header channel; this fixture proves the other one.
import { startEnvoy } from './envoy-edge.js';
import type { EnvoyEdge } from './envoy-edge.js';

const PICKER_CLUSTER = 'endpoint_picker';
const POOL_CLUSTER = 'inference_pool';

function inferencePoolBootstrap(o: {
  listenPort: number;
  adminPort: number;
  pickerPort: number;
}): string {
  const bootstrap = {
    admin: { address: socket(o.adminPort) },
    static_resources: {
      listeners: [
        {
          name: 'inference_gateway',
          address: socket(o.listenPort),
          filter_chains: [{ filters: [connectionManager()] }],
        },
      ],
      clusters: [
        {
          name: PICKER_CLUSTER,
          type: 'STATIC',
          connect_timeout: '2s',
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: PICKER_CLUSTER,
            endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(o.pickerPort) } }] }],
          },
        },
        {
          name: POOL_CLUSTER,
          type: 'ORIGINAL_DST',
          lb_policy: 'CLUSTER_PROVIDED',
          connect_timeout: '2s',
          original_dst_lb_config: {
            metadata_key: { key: 'envoy.lb', path: [{ key: 'x-gateway-destination-endpoint' }] },
          },
        },
      ],
    },
  };
  return JSON.stringify(bootstrap, null, 2);
}

function connectionManager(): Record<string, unknown> {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type':
        'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: 'inference_gateway',
      route_config: {
        virtual_hosts: [
          {
            name: 'pool',
            domains: ['*'],
            routes: [
              {
                match: { safe_regex: { regex: '^/v1/tasks/[^/]+/stream$' } },
                route: { cluster: POOL_CLUSTER, timeout: '0s' },
              },
            ],
          },
        ],
      },
      http_filters: [
        {
          name: 'envoy.filters.http.ext_proc',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
            grpc_service: { envoy_grpc: { cluster_name: PICKER_CLUSTER }, timeout: '30s' },
            failure_mode_allow: false,
            message_timeout: '20s',
            processing_mode: {
              request_header_mode: 'SEND',
              response_header_mode: 'SKIP',
              request_body_mode: 'NONE',
              response_body_mode: 'NONE',
              request_trailer_mode: 'SKIP',
              response_trailer_mode: 'SKIP',
            },
            // The picker writes its choice here; Envoy drops namespaces not listed.
            metadata_options: { receiving_namespaces: { untyped: ['envoy.lb'] } },
          },
        },
        {
          name: 'envoy.filters.http.router',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
          },
        },
      ],
    },
  };
}

function socket(port: number): Record<string, unknown> {
  return { socket_address: { address: '127.0.0.1', port_value: port } };
}

export function startInferencePoolEnvoy(pickerPort: number): Promise<EnvoyEdge> {
  return startEnvoy((listenPort, adminPort) =>
    inferencePoolBootstrap({ listenPort, adminPort, pickerPort }),
  );
}
