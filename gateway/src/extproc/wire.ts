// What another process needs to speak ext_proc to Envoy exactly as placement does: the service
// definition and the codec. The side-by-side bench's stand-in placement (the shape floor) uses it,
// so its messages are built by the same code as the product's.
export { externalProcessorService } from './protos.js';
export { decodeRequestHeaders, encodeDecision } from './codec.js';
export type { ProcessingRequest } from './envoy-types.js';
