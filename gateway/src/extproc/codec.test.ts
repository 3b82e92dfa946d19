import { describe, expect, it } from 'vitest';
import { decodeRequestHeaders, encodeDecision, passThrough } from './codec.js';
import { externalProcessorService } from './protos.js';

const raw = (key: string, value: string) => ({ key, raw_value: Buffer.from(value) });

describe('ext_proc codec', () => {
  it('ORCH-4002: decodes raw_value headers and the task id from the stream path', () => {
    const request = decodeRequestHeaders({
      headers: {
        headers: [
          raw(':method', 'GET'),
          raw(':path', '/v1/tasks/t%2D1/stream?x=1'),
          raw('X-Correlation-Id', 'c-1'),
          { key: 'legacy', value: 'v' },
        ],
      },
    });
    expect(request).toMatchObject({
      method: 'GET',
      path: '/v1/tasks/t%2D1/stream',
      taskId: 't-1',
      correlationId: 'c-1',
    });
    expect(request.headers.legacy).toBe('v');
  });

  it('ORCH-4005: a path of another shape has no task id', () => {
    const request = decodeRequestHeaders({
      headers: { headers: [raw(':path', '/v1/tasks/a/b/stream')] },
    });
    expect(request.taskId).toBeUndefined();
  });

  it('ORCH-4003: route decisions overwrite headers and write raw_value only', () => {
    const reply = encodeDecision({
      kind: 'route',
      setHeaders: { 'x-gateway-destination-endpoint': '127.0.0.1:8100', 'x-orch-lease-id': 'L1' },
    });
    expect(reply).toEqual({
      request_headers: {
        response: {
          status: 'CONTINUE',
          header_mutation: {
            set_headers: [
              {
                header: {
                  key: 'x-gateway-destination-endpoint',
                  raw_value: Buffer.from('127.0.0.1:8100'),
                },
                append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
              },
              {
                header: { key: 'x-orch-lease-id', raw_value: Buffer.from('L1') },
                append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
              },
            ],
          },
        },
      },
    });
    const json = JSON.stringify(reply);
    expect(json).not.toContain('"value"');
  });

  it('ORCH-4018: dynamic metadata survives the wire encoding (the envoy.lb endpoint)', () => {
    const encoded = encodeDecision({
      kind: 'route',
      setHeaders: { 'x-gateway-destination-endpoint': '10.0.0.7:8100' },
      dynamicMetadata: { 'envoy.lb': { 'x-gateway-destination-endpoint': '10.0.0.7:8100' } },
    });
    // Through the real ext_proc message definition: a misnamed Struct field is dropped silently.
    const process = externalProcessorService().Process;
    if (!process) throw new Error('Process method missing');
    const decoded = process.responseDeserialize(process.responseSerialize(encoded)) as {
      dynamic_metadata?: unknown;
    };
    expect(decoded.dynamic_metadata).toMatchObject({
      fields: {
        'envoy.lb': {
          structValue: {
            fields: { 'x-gateway-destination-endpoint': { stringValue: '10.0.0.7:8100' } },
          },
        },
      },
    });
  });

  it('ORCH-4005: respond decisions become an ImmediateResponse with a bytes body', () => {
    const reply = encodeDecision({
      kind: 'respond',
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: '{"code":"NOT_FOUND"}',
      details: 'task_not_found',
    });
    expect('immediate_response' in reply && reply.immediate_response.status.code).toBe(404);
    expect('immediate_response' in reply && reply.immediate_response.body?.toString()).toBe(
      '{"code":"NOT_FOUND"}',
    );
  });

  it.each([
    ['request_body', 'request_body'],
    ['response_headers', 'response_headers'],
    ['request_trailers', 'request_trailers'],
  ] as const)('ORCH-4002: pass-through reply for %s', (kind, key) => {
    expect(Object.keys(passThrough(kind))).toEqual([key]);
  });
});
