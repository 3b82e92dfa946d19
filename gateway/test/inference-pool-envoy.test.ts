// ORCH-4018: placement as the endpoint picker of an InferencePool gateway. A plain Envoy configured
// like such a gateway (support/inference-pool-envoy.ts: ORIGINAL_DST on the `envoy.lb` metadata,
// no header routing) must reach the replica placement chose, with its lease.
import { randomUUID } from 'node:crypto';
import { validateSseTranscript } from '@llama-orch/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../src/index.js';
import type { GatewayHandle } from '../src/index.js';
import { EDGE_MODEL, EDGE_POOL, edgeTaskBody } from './support/edge-stack.js';
import type { EnvoyEdge } from './support/envoy-edge.js';
import { startFakeSidecar } from './support/fake-sidecar.js';
import type { FakeSidecar } from './support/fake-sidecar.js';
import { startInferencePoolEnvoy } from './support/inference-pool-envoy.js';

describe('ORCH-4018: placement behind an InferencePool-style Envoy', { timeout: 20_000 }, () => {
  let gateway: GatewayHandle;
  const workers: FakeSidecar[] = [];
  let envoy: EnvoyEdge;

  beforeAll(async () => {
    gateway = await startGateway({
      restPort: 0,
      extProcPort: 0,
      controlPort: 0,
      logger: 'silent',
      scheduler: {
        pools: [{ id: EDGE_POOL, engine: 'llamacpp', modelRef: EDGE_MODEL, ctxMax: 2048 }],
      },
    });
    for (const id of ['worker-a', 'worker-b']) {
      workers.push(
        await startFakeSidecar({
          controlPort: gateway.controlPort,
          replicaId: id,
          poolId: EDGE_POOL,
          modelRef: EDGE_MODEL,
          slotsFree: 4,
        }),
      );
    }
    envoy = await startInferencePoolEnvoy(gateway.extProcPort);
  }, 60_000);

  afterAll(async () => {
    await envoy?.close();
    for (const w of workers) await w.close();
    await gateway?.close();
  });

  it('routes each stream on the envoy.lb metadata to the worker that holds its lease', async () => {
    const rest = `http://127.0.0.1:${gateway.restPort}`;
    for (let n = 0; n < 4; n++) {
      const taskId = randomUUID();
      const admitted = await fetch(`${rest}/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(edgeTaskBody(taskId)),
      });
      expect(admitted.status).toBe(202);
      const res = await fetch(`${envoy.url}/v1/tasks/${taskId}/stream`);
      const text = await res.text();
      expect(res.status, text).toBe(200);
      expect(validateSseTranscript(text).issues).toEqual([]);
      expect(text).toContain('event: end');
      // The worker that served it is the one placement assigned the task to.
      const served = workers.filter((w) => w.requests.some((r) => r.url.includes(taskId)));
      const assigned = workers.filter((w) => w.assigns.some((a) => a.task?.taskId === taskId));
      expect(served.map((w) => w.address)).toEqual(assigned.map((w) => w.address));
      expect(served).toHaveLength(1);
    }
  });
});
