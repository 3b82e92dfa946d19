// ORCH-4030/ORCH-4004 through real Envoy: placement stops while a task is queued and its stream is
// held; the held stream gets a typed, retriable 503, and after placement comes back on the same
// ports with the same journal, the same stream request is served.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway } from '../src/index.js';
import type { GatewayHandle } from '../src/index.js';
import { EDGE_MODEL, EDGE_POOL, edgeTaskBody } from './support/edge-stack.js';
import { startEnvoyEdge } from './support/envoy-edge.js';
import type { EnvoyEdge } from './support/envoy-edge.js';
import { startFakeSidecar } from './support/fake-sidecar.js';
import type { FakeSidecar } from './support/fake-sidecar.js';

const TASK = '7d3c1f9e-0000-4000-8000-00000000a030';

describe('ORCH-4030: a placement restart behind Envoy keeps a queued task', () => {
  const dir = mkdtempSync(join(tmpdir(), 'restart-envoy-'));
  const journal = { path: join(dir, 'journal.sqlite') };
  const scheduler = {
    pools: [{ id: EDGE_POOL, engine: 'llamacpp' as const, modelRef: EDGE_MODEL, ctxMax: 2048 }],
  };
  let gateway: GatewayHandle | undefined;
  let sidecar: FakeSidecar | undefined;
  let edge: EnvoyEdge | undefined;
  afterAll(async () => {
    await edge?.close();
    await sidecar?.close();
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ORCH-4030: held stream → typed retriable 503 when placement stops; served after the restart', async () => {
    gateway = await startGateway({
      restPort: 0,
      extProcPort: 0,
      controlPort: 0,
      logger: 'silent',
      scheduler,
      journal,
    });
    const ports = {
      restPort: gateway.restPort,
      extProcPort: gateway.extProcPort,
      controlPort: gateway.controlPort,
    };
    const replica = { replicaId: 'fake-a', poolId: EDGE_POOL, modelRef: EDGE_MODEL, slotsFree: 0 };
    sidecar = await startFakeSidecar({ controlPort: ports.controlPort, ...replica });
    edge = await startEnvoyEdge(gateway);
    const submitted = await fetch(`${edge.url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(edgeTaskBody(TASK)),
    });
    expect(submitted.status).toBe(202);

    // No free slot: the stream request is held in ext_proc while placement stops.
    const held = fetch(`${edge.url}/v1/tasks/${TASK}/stream`);
    await new Promise((r) => setTimeout(r, 300));
    await sidecar.close();
    await gateway.close();
    const refused = await held;
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: 'POOL_UNAVAILABLE', retriable: true });

    // Placement comes back on the same ports with the same journal; a sidecar reconnects.
    gateway = await startGateway({ ...ports, logger: 'silent', scheduler, journal });
    sidecar = await startFakeSidecar({ controlPort: ports.controlPort, ...replica, slotsFree: 1 });
    let res: Response | undefined;
    for (let i = 0; i < 50; i++) {
      res = await fetch(`${edge.url}/v1/tasks/${TASK}/stream`);
      if (res.status === 200) break;
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(res?.status).toBe(200);
    const text = (await res?.text()) ?? '';
    expect(text).toMatch(/^id: 0\nevent: started\n/);
    expect(text).toMatch(/event: end\ndata: \{"tokens_out":3/);
  }, 60_000);
});
