// The slice of Envoy's ext_proc messages this service reads and writes, as @grpc/proto-loader
// decodes them (keepCase, enums as strings, oneofs as a `request`/`response` discriminator).
// Only extproc/ sees these types (CONTRIBUTING.md, "Envoy types stay in extproc/").

interface EnvoyHeaderValue {
  key: string;
  value?: string;
  raw_value?: Buffer | Uint8Array;
}

export interface EnvoyHttpHeaders {
  headers?: { headers?: EnvoyHeaderValue[] };
  end_of_stream?: boolean;
}

export type ProcessingRequestKind =
  | 'request_headers'
  | 'response_headers'
  | 'request_body'
  | 'response_body'
  | 'request_trailers'
  | 'response_trailers';

export interface ProcessingRequest {
  request?: ProcessingRequestKind;
  request_headers?: EnvoyHttpHeaders;
  response_headers?: EnvoyHttpHeaders;
  request_body?: { body?: Buffer; end_of_stream?: boolean };
  response_body?: { body?: Buffer; end_of_stream?: boolean };
  request_trailers?: unknown;
  response_trailers?: unknown;
}

interface EnvoyHeaderValueOption {
  header: { key: string; raw_value: Buffer };
  append_action: 'OVERWRITE_IF_EXISTS_OR_ADD';
}

export interface EnvoyHeaderMutation {
  set_headers?: EnvoyHeaderValueOption[];
  remove_headers?: string[];
}

interface EnvoyCommonResponse {
  status?: 'CONTINUE';
  header_mutation?: EnvoyHeaderMutation;
  clear_route_cache?: boolean;
}

interface EnvoyImmediateResponse {
  status: { code: number };
  headers?: EnvoyHeaderMutation;
  body?: Buffer;
  details?: string;
}

/**
 * google.protobuf.Struct as proto-loader encodes it (only string and struct values are sent). Its
 * well-known types come from protobufjs's bundled definitions, which keep camelCase field names
 * whatever `keepCase` says: `string_value` here would be dropped silently.
 */
export interface EnvoyStruct {
  fields: Record<string, { stringValue: string } | { structValue: EnvoyStruct }>;
}

export type ProcessingResponse = ProcessingResponseKind & { dynamic_metadata?: EnvoyStruct };

type ProcessingResponseKind =
  | { request_headers: { response: EnvoyCommonResponse } }
  | { response_headers: { response: EnvoyCommonResponse } }
  | { request_body: { response: EnvoyCommonResponse } }
  | { response_body: { response: EnvoyCommonResponse } }
  | { request_trailers: Record<string, never> }
  | { response_trailers: Record<string, never> }
  | { immediate_response: EnvoyImmediateResponse };
