// The slice of Envoy's ext_proc messages this service reads and writes, as @grpc/proto-loader
// decodes them (keepCase, enums as strings, oneofs as a `request`/`response` discriminator).
// Only extproc/ sees these types (STYLE.md).

export interface EnvoyHeaderValue {
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

export interface EnvoyHeaderValueOption {
  header: { key: string; raw_value: Buffer };
  append_action: 'OVERWRITE_IF_EXISTS_OR_ADD';
}

export interface EnvoyHeaderMutation {
  set_headers?: EnvoyHeaderValueOption[];
  remove_headers?: string[];
}

export interface EnvoyCommonResponse {
  status?: 'CONTINUE';
  header_mutation?: EnvoyHeaderMutation;
  clear_route_cache?: boolean;
}

export interface EnvoyImmediateResponse {
  status: { code: number };
  headers?: EnvoyHeaderMutation;
  body?: Buffer;
  details?: string;
}

export type ProcessingResponse =
  | { request_headers: { response: EnvoyCommonResponse } }
  | { response_headers: { response: EnvoyCommonResponse } }
  | { request_body: { response: EnvoyCommonResponse } }
  | { response_body: { response: EnvoyCommonResponse } }
  | { request_trailers: Record<string, never> }
  | { response_trailers: Record<string, never> }
  | { immediate_response: EnvoyImmediateResponse };
