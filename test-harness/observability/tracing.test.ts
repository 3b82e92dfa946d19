// Issue 9, tracing end to end: the real stack (Envoy with its OpenTelemetry tracer, placement and
// one sidecar with llama-server on the CPU carve-out) exports to an in-process OTLP/HTTP receiver.
// One task is submitted and streamed through Envoy without any client traceparent, so Envoy starts
// both traces. The stream's trace must hold Envoy's request span, its ext_proc call span, the
// placement hold span under it, Envoy's routed-request span, the sidecar's stream span under that
// and the engine call under the sidecar. The submission is its own trace (another HTTP request);
// the hold span links to its admit span.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../src/stack/index.js';
import type { Stack } from '../src/stack/index.js';
import { stream, submit, taskBody, tokens } from './client.js';
import { startOtlpReceiver } from './otlp-receiver.js';
import type { OtlpReceiver, ReceivedSpan } from './otlp-receiver.js';
import { spanTree } from './span-tree.js';

const ENVOY = 'llama-orch-envoy';
const PLACEMENT = 'llama-orch-placement';
const SIDECAR = 'llama-orch-sidecar';
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

describe('ORCH-3042: one trace per streamed task across Envoy, placement and sidecar', () => {
  let otlp: OtlpReceiver;
  let stack: Stack;
  const task = taskBody({ max_tokens: 4 });
  let streamed = 0;
  let admitStatus = 0;
  let streamTrace: ReceivedSpan[] = [];
  let admitTrace: ReceivedSpan[] = [];

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    stack = await startStack({ tracing: { otlpEndpoint: otlp.endpoint, batchDelayMs: 200 } });
    admitStatus = (await submit(stack.url, task)).status;
    streamed = tokens(await stream(stack.url, task.task_id));
    // Envoy flushes its spans every 5 s; the SDKs every 200 ms here. Wait (bounded) until the
    // deepest span of each trace has arrived.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const root = otlp.spans.find(
        (s) =>
          s.service === ENVOY &&
          String(s.attributes['http.url']).endsWith(`/${task.task_id}/stream`),
      );
      streamTrace = root ? otlp.spans.filter((s) => s.traceId === root.traceId) : [];
      const admit = otlp.spans.find(
        (s) =>
          s.service === PLACEMENT &&
          s.attributes['orch.task_id'] === task.task_id &&
          s.name === 'POST /v1/tasks',
      );
      admitTrace = admit ? otlp.spans.filter((s) => s.traceId === admit.traceId) : [];
      const done =
        streamTrace.some((s) => s.name === 'engine.generate') &&
        streamTrace.some((s) => s.name === 'placement.hold') &&
        streamTrace.filter((s) => s.service === ENVOY).length >= 3 &&
        admitTrace.filter((s) => s.service === ENVOY).length >= 2;
      if (done || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    console.info(`stream trace of task ${task.task_id}:\n${spanTree(streamTrace)}`);
    console.info(`admit trace of task ${task.task_id}:\n${spanTree(admitTrace)}`);
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
    await otlp?.close();
  }, 60_000);

  const one = (
    spans: ReceivedSpan[],
    service: string,
    pick: (s: ReceivedSpan) => boolean,
  ): ReceivedSpan => {
    const found = spans.filter((s) => s.service === service && pick(s));
    expect(found, `${service}: one match in\n${spanTree(spans)}`).toHaveLength(1);
    return found[0] as ReceivedSpan;
  };

  it('ORCH-4002: the task streamed through Envoy and Envoy exported OTLP protobuf', () => {
    expect(admitStatus).toBe(202);
    expect(streamed).toBeGreaterThan(0);
    expect([...otlp.contentTypes]).toContain('application/x-protobuf');
  });

  it('ORCH-4002: Envoy starts the trace; ext_proc and placement hold join it', () => {
    const request = one(streamTrace, ENVOY, (s) => s.kind === SPAN_KIND_SERVER);
    expect(request.parentSpanId).toBe('');
    const extProc = one(streamTrace, ENVOY, (s) => s.name.includes('ExternalProcessor.Process'));
    expect(extProc.kind).toBe(SPAN_KIND_CLIENT);
    expect(extProc.parentSpanId).toBe(request.spanId);
    const hold = one(streamTrace, PLACEMENT, (s) => s.name === 'placement.hold');
    expect(hold.parentSpanId).toBe(extProc.spanId);
    expect(hold.attributes['orch.task_id']).toBe(task.task_id);
    expect(hold.attributes['orch.decision']).toBe('route');
  });

  it('ORCH-4006: the sidecar continues Envoy’s routed request; the engine call is its child', () => {
    const request = one(streamTrace, ENVOY, (s) => s.kind === SPAN_KIND_SERVER);
    const routed = one(streamTrace, ENVOY, (s) => s.name === 'router replicas egress');
    expect(routed.parentSpanId).toBe(request.spanId);
    expect(routed.attributes['upstream_address']).toBe(stack.sidecarUrl(0).replace('http://', ''));
    const served = one(streamTrace, SIDECAR, (s) => s.name === 'sidecar.stream');
    expect(served.parentSpanId).toBe(routed.spanId);
    expect(served.attributes['orch.task_id']).toBe(task.task_id);
    const engine = one(streamTrace, SIDECAR, (s) => s.name === 'engine.generate');
    expect(engine.parentSpanId).toBe(served.spanId);
    expect(engine.attributes['orch.engine']).toBe('llamacpp');
    // One trace id for the whole stream, and nothing else in it (no stray scrape spans).
    expect(new Set(streamTrace.map((s) => s.traceId)).size).toBe(1);
    expect(streamTrace.map((s) => `${s.service}/${s.name}`).sort()).toEqual(
      [
        `${ENVOY}/envoy GET /v1/tasks/{id}/stream`,
        `${ENVOY}/async envoy.service.ext_proc.v3.ExternalProcessor.Process egress`,
        `${ENVOY}/router replicas egress`,
        `${PLACEMENT}/placement.hold`,
        `${SIDECAR}/sidecar.stream`,
        `${SIDECAR}/engine.generate`,
      ].sort(),
    );
  });

  it('ORCH-4002: the submission is its own Envoy-started trace, linked from the hold span', () => {
    const request = one(admitTrace, ENVOY, (s) => s.kind === SPAN_KIND_SERVER);
    expect(request.parentSpanId).toBe('');
    const routed = one(admitTrace, ENVOY, (s) => s.name === 'router gateway_rest egress');
    const admit = one(admitTrace, PLACEMENT, (s) => s.name === 'POST /v1/tasks');
    expect(admit.parentSpanId).toBe(routed.spanId);
    expect(admit.attributes['http.response.status_code']).toBe(202);
    expect(admit.traceId).not.toBe(streamTrace[0]?.traceId);
    const hold = one(streamTrace, PLACEMENT, (s) => s.name === 'placement.hold');
    expect(hold.links).toEqual([{ traceId: admit.traceId, spanId: admit.spanId }]);
  });
});
