// Loads the authored OpenAPI documents once. They are the source of truth (ORCH-3044); runtime
// validation and generated types both derive from these files, never from copies.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export type OpenApiDocument = {
  openapi: string;
  info: { version: string; title: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Record<string, unknown>> } & Record<string, unknown>;
};

export const DATA_DOC_ID = 'https://llama-orch.dev/contracts/openapi/data.yaml';
export const CONTROL_DOC_ID = 'https://llama-orch.dev/contracts/openapi/control.yaml';

/** Absolute path of a file in contracts/openapi/. */
export function openApiPath(name: 'data.yaml' | 'control.yaml'): string {
  return fileURLToPath(new URL(`../../openapi/${name}`, import.meta.url));
}

function load(name: 'data.yaml' | 'control.yaml'): OpenApiDocument {
  const doc = parse(readFileSync(openApiPath(name), 'utf8')) as OpenApiDocument;
  if (!doc?.info?.version || !doc.components?.schemas) {
    throw new Error(`contracts/openapi/${name} is not an OpenAPI document`);
  }
  return doc;
}

export const dataDocument: OpenApiDocument = load('data.yaml');
export const controlDocument: OpenApiDocument = load('control.yaml');

/** OrchQueue API version; GET /v1/capabilities reports it as api_version (ORCH-3095). */
export const openApiVersion: string = dataDocument.info.version;

if (controlDocument.info.version !== openApiVersion) {
  throw new Error('contracts: data.yaml and control.yaml must share info.version (ORCH-3044)');
}
