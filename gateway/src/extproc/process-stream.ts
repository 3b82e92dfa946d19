// One ext_proc stream = one downstream HTTP request (envoy-ext-proc.md §1). Exactly one reply per
// request message (extras are spurious and fail the request); half-close and CANCELLED are normal
// ends; if Envoy goes away while the reply is held, the placer's signal aborts so the task is
// detached rather than dispatched to nobody.
import type { EventEmitter } from 'node:events';
import { openAiRouteOf } from '@llama-orch/contracts';
import { decodeRequestHeaders, encodeDecision, passThrough } from './codec.js';
import type {
  ProcessingRequest,
  ProcessingRequestKind,
  ProcessingResponse,
} from './envoy-types.js';
import type { PlacementDecision, PlacementRequest, Placer } from './handler.js';

/** The part of a grpc-js ServerDuplexStream this loop uses (a fake in tests). */
export interface ExtProcCall extends EventEmitter {
  write(message: ProcessingResponse): boolean;
  end(): void;
}

interface ExtProcLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ProcessStreamOptions {
  readonly placer: Placer;
  /** Turns a thrown error into the reply the client gets (errors/ owns the mapping). */
  readonly errorToDecision: (error: unknown, request: PlacementRequest) => PlacementDecision;
  readonly log?: ExtProcLogger;
}

const KINDS: readonly ProcessingRequestKind[] = [
  'request_headers',
  'response_headers',
  'request_body',
  'response_body',
  'request_trailers',
  'response_trailers',
];

/**
 * The abort reason when a stream ends. Given as a value, abort() does not build a DOMException
 * and capture its stack: every stream ends (Envoy resets it once its request is over, also after
 * the decision), so that was ~20 µs of placement CPU per request.
 */
const STREAM_ENDED = Object.freeze({
  name: 'ExtProcStreamEnded',
  message: 'ext_proc stream ended',
});

export function processStream(call: ExtProcCall, options: ProcessStreamOptions): void {
  const abort = new AbortController();
  let closed = false;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    abort.abort(STREAM_ENDED);
  };
  const reply = (message: ProcessingResponse): void => {
    if (closed) return;
    call.write(message);
  };

  // ORCH-3104: on the OpenAI routes Envoy buffers the body and sends it after the headers; the
  // headers are answered with a plain CONTINUE and the decision waits for the body.
  let awaitingBody: PlacementRequest | undefined;
  const decideAndReply = (request: PlacementRequest, phase: 'headers' | 'body'): void => {
    void decide(options, request, abort.signal).then((decision) =>
      reply(encodeDecision(decision, phase)),
    );
  };

  call.on('data', (message: ProcessingRequest) => {
    const kind = messageKind(message);
    if (kind === 'request_body' && awaitingBody !== undefined && message.request_body) {
      const request = { ...awaitingBody, body: bodyText(message.request_body.body) };
      awaitingBody = undefined;
      decideAndReply(request, 'body');
      return;
    }
    if (kind !== 'request_headers' || message.request_headers === undefined) {
      // Not configured to arrive (bodies NONE, response SKIP); still owed exactly one reply.
      if (kind) reply(passThrough(kind));
      options.log?.warn({ kind }, 'ext_proc: unexpected message kind, passed through');
      return;
    }
    const request = decodeRequestHeaders(message.request_headers);
    if (openAiRouteOf(request.path) !== undefined && request.method === 'POST') {
      if (message.request_headers.end_of_stream) {
        decideAndReply({ ...request, body: '' }, 'headers'); // no body at all: refused as such
      } else {
        awaitingBody = request;
        reply(passThrough('request_headers'));
      }
      return;
    }
    decideAndReply(request, 'headers');
  });
  // Half-close from Envoy: the request is over; end our side too.
  call.on('end', () => {
    finish();
    call.end();
  });
  // CANCELLED (client went away, Envoy reset) is a normal end, not a failure.
  call.on('cancelled', finish);
  call.on('error', (error: Error) => {
    options.log?.debug({ err: error.message }, 'ext_proc: stream error');
    finish();
  });
  call.on('close', finish);
}

async function decide(
  options: ProcessStreamOptions,
  request: PlacementRequest,
  signal: AbortSignal,
): Promise<PlacementDecision> {
  try {
    return await options.placer.decide(request, signal);
  } catch (error) {
    return options.errorToDecision(error, request);
  }
}

function bodyText(body: Buffer | Uint8Array | undefined): string {
  return body === undefined ? '' : Buffer.from(body).toString('utf8');
}

function messageKind(message: ProcessingRequest): ProcessingRequestKind | undefined {
  if (message.request && KINDS.includes(message.request)) return message.request;
  return KINDS.find((k) => message[k] !== undefined);
}
