// Names shared by the parts of the bootstrap (and the headers callers need to know).

export const DESTINATION_HEADER = 'x-gateway-destination-endpoint';
export const LEASE_HEADER = 'x-orch-lease-id';
/** Placement sets it (`start`) when it routes a reconnect without Last-Event-ID (ORCH-4032). */
export const RESUME_HEADER = 'x-orch-resume';
export const CORRELATION_HEADER = 'x-correlation-id';

export const EXT_PROC_FILTER = 'envoy.filters.http.ext_proc';
export const CLUSTER_EXT_PROC = 'placement_ext_proc';
export const CLUSTER_REST = 'gateway_rest';
export const CLUSTER_REPLICAS = 'replicas';
export const CLUSTER_OTLP = 'otlp_collector';
// A status placement itself never sends, so the local-reply mapper can tell Envoy's own ext_proc
// failures from placement's ImmediateResponses (502 is Envoy's ceiling for message_timeout).
export const EXT_PROC_ERROR_STATUS = 502;
