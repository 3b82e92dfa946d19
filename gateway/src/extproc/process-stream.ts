// One ext_proc stream = one downstream HTTP request (envoy-ext-proc.md §1). Exactly one reply per
// request message (extras are spurious and fail the request); half-close and CANCELLED are normal
// ends; if Envoy goes away while the reply is held, the placer's signal aborts so the task is
// detached rather than dispatched to nobody.
import type { EventEmitter } from 'node:events';
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

export interface ExtProcLogger {
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

export function processStream(call: ExtProcCall, options: ProcessStreamOptions): void {
  const abort = new AbortController();
  let closed = false;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    abort.abort();
  };
  const reply = (message: ProcessingResponse): void => {
    if (closed) return;
    call.write(message);
  };

  call.on('data', (message: ProcessingRequest) => {
    const kind = messageKind(message);
    if (kind !== 'request_headers' || message.request_headers === undefined) {
      // Not configured to arrive (bodies NONE, response SKIP); still owed exactly one reply.
      if (kind) reply(passThrough(kind));
      options.log?.warn({ kind }, 'ext_proc: unexpected message kind, passed through');
      return;
    }
    const request = decodeRequestHeaders(message.request_headers);
    void decide(options, request, abort.signal).then((decision) => reply(encodeDecision(decision)));
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

function messageKind(message: ProcessingRequest): ProcessingRequestKind | undefined {
  if (message.request && KINDS.includes(message.request)) return message.request;
  return KINDS.find((k) => message[k] !== undefined);
}
