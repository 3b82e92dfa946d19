import { describe, expect, it } from 'vitest';
import { renderLoopbackEnvoy } from './envoy-loopback.js';

describe('ORCH-4001: loopback Envoy config for up', () => {
  it('ORCH-4001: binds listener and admin to 127.0.0.1 and routes to the upstream with no timeout', () => {
    const cfg = JSON.parse(
      renderLoopbackEnvoy({ listenPort: 8080, adminPort: 9901, upstreamPort: 8200 }),
    );
    const text = JSON.stringify(cfg);
    expect(cfg.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 9901 });
    const listener = cfg.static_resources.listeners[0];
    expect(listener.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 8080 });
    expect(text).toContain('"timeout":"0s"');
    const ep = cfg.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0];
    expect(ep.endpoint.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 8200 });
  });
});
