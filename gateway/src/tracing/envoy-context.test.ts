// joinEnvoyTrace with a started SDK: the hold span joins the trace Envoy sent as gRPC metadata on
// the ext_proc call, ahead of any client traceparent in the forwarded HTTP headers; without
// metadata it falls back to those headers. The live suite (test-harness/observability/
// tracing.test.ts) checks the parent links against the real Envoy.
import { EventEmitter } from 'node:events';
import { startNodeSdk } from '@opentelemetry/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlacementDecision, PlacementRequest } from '../extproc/handler.js';
import { joinEnvoyTrace } from './envoy-context.js';
import type { CallMetadata } from './envoy-context.js';
import { tracedPlacer } from './spans.js';

const ENVOY_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

class FakeCall extends EventEmitter {
  constructor(readonly metadata: CallMetadata) {
    super();
  }
}

function metadata(values: Record<string, string>): CallMetadata {
  return { get: (k) => (values[k] === undefined ? [] : [values[k]]), getMap: () => values };
}

const request: PlacementRequest = {
  method: 'GET',
  path: '/v1/tasks/t1/stream',
  taskId: 't1',
  correlationId: 'c1',
  headers: { traceparent: `00-${CLIENT_TRACE}-00f067aa0ba902b7-01` },
};

/** Runs the traced placer inside the call's 'data' listener, as process-stream does. */
function decideOn(call: FakeCall): Promise<PlacementDecision> {
  const route: PlacementDecision = {
    kind: 'route',
    setHeaders: { 'x-gateway-destination-endpoint': '127.0.0.1:1' },
  };
  const placer = tracedPlacer({ decide: () => Promise.resolve(route) });
  return new Promise((resolve, reject) => {
    call.on('data', () => {
      placer.decide(request, new AbortController().signal).then(resolve, reject);
    });
    call.emit('data', {});
  });
}

const traceOf = (d: PlacementDecision): string | undefined =>
  d.kind === 'route' ? d.setHeaders.traceparent?.split('-')[1] : undefined;

describe('ORCH-3042: the ext_proc hold span joins Envoy’s ext_proc span', () => {
  let sdk: { shutdown(): Promise<void> } | undefined;
  beforeAll(() => {
    process.env.OTEL_TRACES_EXPORTER = 'none';
    sdk = startNodeSdk({ resourceDetectors: [] });
  });
  afterAll(async () => {
    await sdk?.shutdown();
    delete process.env.OTEL_TRACES_EXPORTER;
  });

  it('ORCH-4002: gRPC metadata from Envoy wins over the client traceparent', async () => {
    const call = joinEnvoyTrace(
      new FakeCall(metadata({ traceparent: `00-${ENVOY_TRACE}-b7ad6b7169203331-01` })),
    );
    expect(traceOf(await decideOn(call))).toBe(ENVOY_TRACE);
  });

  it('ORCH-4002: without Envoy metadata the client traceparent is continued', async () => {
    const call = joinEnvoyTrace(new FakeCall(metadata({})));
    expect(traceOf(await decideOn(call))).toBe(CLIENT_TRACE);
  });
});
