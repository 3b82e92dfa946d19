// Envoy's ext_proc filter runs its gRPC call in a child span of the request's span and sends that
// span's W3C context as gRPC metadata (traceparent, tracestate), not in the HTTP headers it
// forwards (those still carry only the client's own traceparent, if any). joinEnvoyTrace makes
// that context the active one for everything the call's listeners do, so placement's hold span
// becomes the ext_proc span's child. Without a started SDK both the propagator and the context
// manager are no-ops and the call is returned untouched.
import type { EventEmitter } from 'node:events';
import { ROOT_CONTEXT, context, propagation, trace } from '@opentelemetry/api';
import type { TextMapGetter } from '@opentelemetry/api';

/** The part of grpc-js Metadata this needs. */
export interface CallMetadata {
  get(key: string): (string | Buffer)[];
  getMap(): Record<string, unknown>;
}

const metadataGetter: TextMapGetter<CallMetadata> = {
  get: (carrier, key) => {
    const values = carrier.get(key).map(String);
    return values.length === 0 ? undefined : values;
  },
  keys: (carrier) => Object.keys(carrier.getMap()),
};

/** Binds the ext_proc call's listeners to the trace context Envoy sent with it (if any). */
export function joinEnvoyTrace<T extends EventEmitter & { readonly metadata: CallMetadata }>(
  call: T,
): T {
  const parent = propagation.extract(ROOT_CONTEXT, call.metadata, metadataGetter);
  if (trace.getSpanContext(parent) === undefined) return call;
  return context.bind(parent, call);
}
