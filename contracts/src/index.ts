// Public surface of @llama-orch/contracts: OpenAPI-derived types, runtime validators, the error
// code table and SSE framing (ORCH-2002, ORCH-2006, ORCH-3044), and the config schema (ORCH-3030).
export * from './types.js';
export * from './errors.js';
export * from './sse.js';
export * from './validate.js';
export * from './openai.js';
export type { DocName, ValidationIssue, ValidationResult } from './openapi/ajv.js';
export { openApiVersion, dataDocument, controlDocument, openApiPath } from './openapi/documents.js';
export type { OpenApiDocument } from './openapi/documents.js';
export {
  declaredMethods,
  listOperations,
  findOperation,
  responseSpec,
} from './openapi/operations.js';
export type { OperationInfo, ResponseSpec } from './openapi/operations.js';
export * from './config/index.js';
