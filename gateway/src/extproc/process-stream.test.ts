import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ProcessingRequest, ProcessingResponse } from './envoy-types.js';
import type { PlacementDecision, PlacementRequest, Placer } from './handler.js';
import { processStream } from './process-stream.js';
import type { ExtProcCall } from './process-stream.js';

class FakeCall extends EventEmitter implements ExtProcCall {
  readonly written: ProcessingResponse[] = [];
  ended = false;
  write(message: ProcessingResponse): boolean {
    this.written.push(message);
    return true;
  }
  end(): void {
    this.ended = true;
  }
}

const headersMessage = (path: string): ProcessingRequest => ({
  request: 'request_headers',
  request_headers: {
    headers: {
      headers: [
        { key: ':method', raw_value: Buffer.from('GET') },
        { key: ':path', raw_value: Buffer.from(path) },
      ],
    },
  },
});

const route: PlacementDecision = { kind: 'route', setHeaders: { 'x-orch-lease-id': 'L' } };
const errorToDecision = (error: unknown): PlacementDecision => ({
  kind: 'respond',
  status: 500,
  headers: {},
  body: String(error),
  details: 'internal',
});

function deferredPlacer(): Placer & {
  resolve(d: PlacementDecision): void;
  signal?: AbortSignal;
  seen?: PlacementRequest;
} {
  let resolve: (d: PlacementDecision) => void = () => undefined;
  const placer = {
    resolve: (d: PlacementDecision) => resolve(d),
    signal: undefined as AbortSignal | undefined,
    seen: undefined as PlacementRequest | undefined,
    decide(request: PlacementRequest, signal: AbortSignal): Promise<PlacementDecision> {
      placer.signal = signal;
      placer.seen = request;
      return new Promise((r) => (resolve = r));
    },
  };
  return placer;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ext_proc stream loop (fake stream)', () => {
  it('ORCH-4005: holds the reply until the placer decides, then replies exactly once', async () => {
    const call = new FakeCall();
    const placer = deferredPlacer();
    processStream(call, { placer, errorToDecision });
    call.emit('data', headersMessage('/v1/tasks/t1/stream'));
    await tick();
    expect(call.written).toHaveLength(0);
    expect(placer.seen?.taskId).toBe('t1');
    placer.resolve(route);
    await tick();
    expect(call.written).toHaveLength(1);
    expect(call.written[0]).toHaveProperty('request_headers');
  });

  it('ORCH-4005: a client that goes away while held aborts the placer and gets no reply', async () => {
    const call = new FakeCall();
    const placer = deferredPlacer();
    processStream(call, { placer, errorToDecision });
    call.emit('data', headersMessage('/v1/tasks/t1/stream'));
    await tick();
    call.emit('cancelled');
    expect(placer.signal?.aborted).toBe(true);
    // Every stream ends this way: the reason is a shared value, not a DOMException with a stack.
    expect(placer.signal?.reason).not.toBeInstanceOf(DOMException);
    placer.resolve(route);
    await tick();
    expect(call.written).toHaveLength(0);
  });

  it('ORCH-4005: half-close ends our side and aborts a held decision', async () => {
    const call = new FakeCall();
    const placer = deferredPlacer();
    processStream(call, { placer, errorToDecision });
    call.emit('data', headersMessage('/v1/tasks/t1/stream'));
    call.emit('end');
    expect(call.ended).toBe(true);
    expect(placer.signal?.aborted).toBe(true);
  });

  it('ORCH-4004: a placer failure becomes the mapped immediate response', async () => {
    const call = new FakeCall();
    processStream(call, {
      placer: { decide: () => Promise.reject(new Error('boom')) },
      errorToDecision,
    });
    call.emit('data', headersMessage('/v1/tasks/t1/stream'));
    await tick();
    expect(call.written).toHaveLength(1);
    expect(call.written[0]).toHaveProperty('immediate_response.status.code', 500);
  });

  it('ORCH-4002: an unexpected body chunk still gets exactly one pass-through reply', async () => {
    const call = new FakeCall();
    processStream(call, { placer: deferredPlacer(), errorToDecision });
    call.emit('data', { request: 'request_body', request_body: { body: Buffer.from('x') } });
    await tick();
    expect(call.written).toEqual([{ request_body: { response: { status: 'CONTINUE' } } }]);
  });

  it('ORCH-4002: the runtime-loaded Envoy protos expose the Process method', async () => {
    const { externalProcessorService } = await import('./protos.js');
    const service = externalProcessorService();
    expect(service.Process?.path).toBe('/envoy.service.ext_proc.v3.ExternalProcessor/Process');
    expect(service.Process?.requestStream).toBe(true);
    expect(service.Process?.responseStream).toBe(true);
  });
});

describe('ORCH-3104: bodies on the OpenAI routes', () => {
  const post = (path: string, endOfStream = false): ProcessingRequest => ({
    request: 'request_headers',
    request_headers: {
      end_of_stream: endOfStream,
      headers: {
        headers: [
          { key: ':method', raw_value: Buffer.from('POST') },
          { key: ':path', raw_value: Buffer.from(path) },
        ],
      },
    },
  });

  it('ORCH-3104: headers get a plain CONTINUE; the decision answers the buffered body', async () => {
    const call = new FakeCall();
    const placer = deferredPlacer();
    processStream(call, { placer, errorToDecision });
    call.emit('data', post('/v1/chat/completions'));
    await tick();
    expect(call.written).toEqual([{ request_headers: { response: { status: 'CONTINUE' } } }]);
    expect(placer.seen).toBeUndefined(); // nothing decided on headers alone
    call.emit('data', {
      request: 'request_body',
      request_body: { body: Buffer.from('{"model":"m"}'), end_of_stream: true },
    });
    await tick();
    expect(placer.seen?.body).toBe('{"model":"m"}');
    placer.resolve(route);
    await tick();
    expect(call.written[1]).toEqual({
      request_body: {
        response: {
          status: 'CONTINUE',
          header_mutation: {
            set_headers: [
              {
                header: { key: 'x-orch-lease-id', raw_value: Buffer.from('L') },
                append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
              },
            ],
          },
        },
      },
    });
  });

  it('ORCH-3104: a POST without a body is decided at once with an empty body', async () => {
    const call = new FakeCall();
    const placer = deferredPlacer();
    processStream(call, { placer, errorToDecision });
    call.emit('data', post('/v1/completions', true));
    await tick();
    expect(placer.seen?.body).toBe('');
  });

  it('ORCH-3104: OrchQueue streams are still decided on headers, never with a body', async () => {
    const call = new FakeCall();
    const placer = deferredPlacer();
    processStream(call, { placer, errorToDecision });
    call.emit('data', headersMessage('/v1/tasks/abc/stream'));
    await tick();
    expect(placer.seen?.body).toBeUndefined();
    expect(placer.seen?.taskId).toBe('abc');
  });
});
