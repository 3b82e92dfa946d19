// Real Envoy + the real gateway + a fake sidecar (real gRPC control stream, tiny SSE server).
// Proves the stream route end to end: placement chooses, Envoy forwards (ORCH-4001..4005).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { validateResponse, validateSseTranscript } from '@llama-orch/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayHandle } from '../src/index.js';
import { startEdgeStack } from './support/edge-stack.js';
import type { EdgeStack } from './support/edge-stack.js';
import type { FakeSidecar } from './support/fake-sidecar.js';

describe('gateway + real Envoy + fake sidecar', { timeout: 15_000 }, () => {
  let stack: EdgeStack;
  let gateway: GatewayHandle;
  let sidecar: FakeSidecar;
  let decoy: Server;
  let decoyHits = 0;
  let decoyPort = 0;
  let base = '';

  beforeAll(async () => {
    // Where a client-supplied routing header would send the request if Envoy trusted it.
    decoy = createServer((_req, res) => {
      decoyHits += 1;
      res.end('hijacked');
    });
    await new Promise<void>((r) => decoy.listen(0, '127.0.0.1', r));
    const a = decoy.address();
    decoyPort = typeof a === 'object' && a ? a.port : 0;

    stack = await startEdgeStack();
    ({ gateway, sidecar, url: base } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    decoy?.close();
  });

  const submit = (taskId: string): Promise<Response> => stack.submit(taskId);

  it('ORCH-4001/ORCH-4003: a stream goes through Envoy to the sidecar placement chose, with its lease', async () => {
    const taskId = randomUUID();
    const admitted = await submit(taskId);
    expect(admitted.status).toBe(202);
    expect(admitted.headers.get('x-correlation-id')).toBeTruthy();
    const res = await fetch(`${base}/v1/tasks/${taskId}/stream`, {
      headers: {
        'x-gateway-destination-endpoint': `127.0.0.1:${decoyPort}`,
        'x-orch-lease-id': 'forged-lease',
        'x-correlation-id': 'corr-stream-1',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(validateSseTranscript(text).issues).toEqual([]);
    expect(text).toContain('event: end');
    expect(decoyHits).toBe(0);
    const assign = sidecar.assigns.find((a) => a.task?.taskId === taskId);
    const seen = sidecar.requests.find((r) => r.url.includes(taskId));
    expect(seen?.headers['x-orch-lease-id']).toBe(assign?.leaseId);
    expect(seen?.headers['x-gateway-destination-endpoint']).toBe(sidecar.address);
    expect(seen?.headers['x-correlation-id']).toBe('corr-stream-1');
  });

  it('ORCH-4005: unknown task → 404 ErrorEnvelope through Envoy', async () => {
    const res = await fetch(`${base}/v1/tasks/${randomUUID()}/stream`, {
      headers: { 'x-correlation-id': 'c-404' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({
      code: 'NOT_FOUND',
      retriable: false,
      correlation_id: 'c-404',
    });
  });

  it('ORCH-4005: cancel while queued → the held stream gets a terminal end{canceled}', async () => {
    sidecar.setSlotsFree(0);
    await new Promise((r) => setTimeout(r, 50));
    const taskId = randomUUID();
    expect((await submit(taskId)).status).toBe(202);
    const stream = fetch(`${base}/v1/tasks/${taskId}/stream`);
    await new Promise((r) => setTimeout(r, 300)); // let ext_proc attach and hold
    const cancel = await fetch(`${base}/v1/tasks/${taskId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(204);
    const res = await stream;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text).toBe(
      'id: 0\nevent: end\ndata: {"tokens_out":0,"decode_time_ms":0,"reason":"canceled"}\n\n',
    );
    expect(validateSseTranscript(text).issues).toEqual([]);
    expect(sidecar.assigns.some((a) => a.task?.taskId === taskId)).toBe(false);
    sidecar.setSlotsFree(1);
  });

  it('ORCH-4005: a client that disconnects while held is detached and never dispatched', async () => {
    sidecar.setSlotsFree(0);
    await new Promise((r) => setTimeout(r, 50));
    const taskId = randomUUID();
    expect((await submit(taskId)).status).toBe(202);
    const abort = new AbortController();
    const stream = fetch(`${base}/v1/tasks/${taskId}/stream`, { signal: abort.signal }).catch(
      () => 'aborted',
    );
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    expect(await stream).toBe('aborted');
    await new Promise((r) => setTimeout(r, 200)); // Envoy resets the ext_proc stream
    sidecar.setSlotsFree(1);
    await new Promise((r) => setTimeout(r, 400)); // a few dispatch rounds and heartbeats
    expect(sidecar.assigns.some((a) => a.task?.taskId === taskId)).toBe(false);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /placement_extproc_hold_ms_count\{pool_id="pool-a",outcome="canceled"\} 2/,
    );
  });

  it('ORCH-3028: /metrics through Envoy counts the routed stream and its tokens', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/tasks_started_total\{[^}]*replica_id="fake-a"[^}]*\} 1/);
    expect(text).toMatch(/tokens_out_total\{[^}]*replica_id="fake-a"\} 3/);
    expect(text).toMatch(
      /placement_extproc_requests_total\{outcome="not_found",api="orchqueue"\} 1/,
    );
  });

  it('ORCH-4004: placement down → Envoy fails closed with a typed 503, never an unrouted request', async () => {
    const before = sidecar.requests.length;
    await gateway.close();
    const res = await fetch(`${base}/v1/tasks/${randomUUID()}/stream`, {
      headers: { 'x-gateway-destination-endpoint': sidecar.address },
    });
    expect(res.status).toBe(503);
    const body: unknown = await res.json();
    expect(body).toMatchObject({ code: 'POOL_UNAVAILABLE', retriable: true });
    expect(validateResponse('streamTask', 503, body).issues).toEqual([]);
    // ORCH-2052: no client id → Envoy's x-request-id (UUIDv4), echoed in header and body.
    const correlation = res.headers.get('x-correlation-id');
    expect(correlation).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(body).toMatchObject({ correlation_id: correlation });
    expect(sidecar.requests.length).toBe(before);
    expect(decoyHits).toBe(0);
  });
});
