import { describe, expect, it } from 'vitest';
import { LeaseStore } from '../control/lease-store.js';
import { createMetrics } from './metrics.js';
import { buildHttpServer } from './server.js';

function app() {
  return buildHttpServer({
    leases: new LeaseStore(),
    metrics: createMetrics({
      engine: 'llamacpp',
      engine_version: 'b1-x',
      pool_id: 'p',
      replica_id: 'r',
      model_digest: 'sha256:ab',
      canary_hash: 'cd',
    }),
    engine: 'llamacpp',
    openStream: () => {
      throw new Error('no stream in this test');
    },
    healthz: () => ({ ready: false, reason: 'starting' }),
  });
}

describe('ORCH-4012/2052: sidecar HTTP surface (inject)', () => {
  it('ORCH-4012: stream without a lease → 403 LEASE_INVALID envelope with the echoed correlation id', async () => {
    const res = await app().inject({
      url: '/v1/tasks/t1/stream',
      headers: { 'x-correlation-id': 'c-1' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['x-correlation-id']).toBe('c-1');
    expect(res.json()).toEqual({
      code: 'LEASE_INVALID',
      message: 'stream refused: no x-orch-lease-id header',
      engine: 'llamacpp',
      retriable: false,
      correlation_id: 'c-1',
    });
  });

  it('ORCH-2052: other responses carry a correlation id; unknown routes get a NOT_FOUND envelope', async () => {
    const a = app();
    const hz = await a.inject({ url: '/healthz' });
    expect(hz.statusCode).toBe(503);
    expect(hz.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    const nf = await a.inject({ url: '/nope', headers: { 'x-correlation-id': 'c-2' } });
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toMatchObject({ code: 'NOT_FOUND', correlation_id: 'c-2' });
  });

  it('ORCH-3028: /metrics exposes exactly the sidecar families of otel-prom.md', async () => {
    const res = await app().inject({ url: '/metrics' });
    const families = [...res.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(families.sort()).toEqual(
      [
        'sidecar_canary_hash_info gauge',
        'sidecar_control_connected gauge',
        'sidecar_engine_restarts_total counter',
        'sidecar_engine_up gauge',
        'sidecar_lease_rejections_total counter',
        'sidecar_stream_aborts_total counter',
        'sidecar_streams_active gauge',
      ].sort(),
    );
    expect(res.body).toContain(
      'sidecar_canary_hash_info{engine="llamacpp",engine_version="b1-x",pool_id="p",replica_id="r",model_digest="sha256:ab",canary_hash="cd"} 1',
    );
  });
});
