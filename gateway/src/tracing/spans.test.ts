// Without a started SDK the tracing wrappers must be invisible: same decisions, no headers added,
// errors passed through. The live suite (test-harness/observability) covers exported spans.
import { describe, expect, it } from 'vitest';
import type { PlacementDecision, PlacementRequest, Placer } from '../extproc/handler.js';
import { tracedPlacer } from './spans.js';

const request: PlacementRequest = {
  method: 'GET',
  path: '/v1/tasks/t1/stream',
  taskId: 't1',
  correlationId: 'c1',
  headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
};

describe('ORCH-3042: tracing wrappers are no-ops without an SDK', () => {
  it('ORCH-4003: a route decision keeps exactly its headers', async () => {
    const decision: PlacementDecision = {
      kind: 'route',
      setHeaders: { 'x-gateway-destination-endpoint': '127.0.0.1:1' },
    };
    const placer: Placer = { decide: () => Promise.resolve(decision) };
    const out = await tracedPlacer(placer).decide(request, new AbortController().signal);
    expect(out).toEqual(decision);
  });

  it('ORCH-4004: placer errors pass through unchanged', async () => {
    const boom = new Error('boom');
    const placer: Placer = { decide: () => Promise.reject(boom) };
    await expect(tracedPlacer(placer).decide(request, new AbortController().signal)).rejects.toBe(
      boom,
    );
  });
});
