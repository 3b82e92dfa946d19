// ORCH-4019: the gauges that mirror core's queue (queue_depth, placement_leases_active) are
// computed when /metrics is read, not after every REST response (issue 19: a scheduler snapshot
// per submission). A real placement in-process, a fake sidecar over gRPC, plain HTTP.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../src/gateway.js';
import type { GatewayHandle } from '../src/gateway.js';
import { MODEL_REF, TEST_SCHEDULER } from './support/harness.js';
import { startFakeSidecar } from './support/fake-sidecar.js';
import { taskRequest } from './support/sidecar-messages.js';
import type { FakeSidecar } from './support/fake-sidecar.js';

describe('ORCH-4019: queue gauges are current at every scrape', () => {
  let gateway: GatewayHandle;
  let sidecar: FakeSidecar;
  let rest = '';

  beforeAll(async () => {
    gateway = await startGateway({
      restPort: 0,
      extProcPort: 0,
      controlPort: 0,
      logger: 'silent',
      scheduler: { ...TEST_SCHEDULER, attachTimeoutMs: 3_600_000 },
    });
    sidecar = await startFakeSidecar({
      controlPort: gateway.controlPort,
      replicaId: 'scrape-r1',
      poolId: 'pool-a',
      modelRef: MODEL_REF,
    });
    rest = `http://127.0.0.1:${gateway.restPort}`;
  });

  afterAll(async () => {
    await sidecar?.close();
    await gateway?.close();
  });

  const submit = (taskId: string): Promise<Response> =>
    fetch(`${rest}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(taskRequest({ task_id: taskId, priority: 'batch', max_tokens: 16 })),
    });

  const queued = async (): Promise<number> => {
    const text = await (await fetch(`${rest}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('queue_depth{'))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };

  it('ORCH-4019: queue_depth counts unattached queued tasks at once, and drops after a cancel', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    // Wait until the replica is Ready (a submit answers 202).
    let first = 0;
    for (let i = 0; i < 100 && first !== 202; i++) {
      first = (await submit(ids[0] as string)).status;
      if (first !== 202) await new Promise((r) => setTimeout(r, 50));
    }
    expect(first).toBe(202);
    for (const id of ids.slice(1)) expect((await submit(id)).status).toBe(202);
    expect(await queued()).toBe(3);
    const cancel = await fetch(`${rest}/v1/tasks/${ids[1]}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(204);
    expect(await queued()).toBe(2);
  });
});
