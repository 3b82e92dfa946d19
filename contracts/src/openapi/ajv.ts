// One Ajv 2020-12 instance holding both OpenAPI documents; validators compile lazily once per
// schema and are cached, so request-time validation is a function call.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { CONTROL_DOC_ID, DATA_DOC_ID, controlDocument, dataDocument } from './documents.js';

export type DocName = 'data' | 'control';

/** One problem found by validation, with a JSON-pointer-like path to the bad field. */
export interface ValidationIssue {
  path: string;
  message: string;
  keyword: string;
}

export type ValidationResult<T> =
  { ok: true; value: T; issues: [] } | { ok: false; issues: ValidationIssue[] };

// `components` (the document wrapper) and the OpenAPI extension keywords used inside our schemas;
// declared so strict mode stays on for
// everything else (a typo such as `requird` must fail loudly).
const OPENAPI_KEYWORDS = [
  'components',
  'x-http-status',
  'x-retriable',
  'example',
  'discriminator',
  'xml',
];

function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    strict: true,
    // `required` inside if/then names properties declared beside it, which strictRequired rejects.
    strictRequired: false,
    allErrors: true,
    allowUnionTypes: true,
  });
  addFormatsModule.default(ajv);
  for (const k of OPENAPI_KEYWORDS) ajv.addKeyword(k);
  // Only `components` is registered: paths hold non-schema objects (parameters, responses).
  ajv.addSchema({ $id: DATA_DOC_ID, components: { schemas: dataDocument.components.schemas } });
  ajv.addSchema({
    $id: CONTROL_DOC_ID,
    components: { schemas: controlDocument.components.schemas },
  });
  return ajv;
}

let shared: Ajv2020 | undefined;
const cache = new Map<string, ValidateFunction>();

/** Compiled validator for `#/components/schemas/<name>` of one document (cached). */
export function schemaValidator(doc: DocName, name: string): ValidateFunction {
  const ref = `${doc === 'data' ? DATA_DOC_ID : CONTROL_DOC_ID}#/components/schemas/${name}`;
  return compiledRef(ref);
}

/** Compiled validator for an absolute or document-relative $ref (cached). */
export function compiledRef(ref: string): ValidateFunction {
  const hit = cache.get(ref);
  if (hit) return hit;
  shared ??= createAjv();
  const fn = shared.getSchema(ref);
  if (!fn) throw new Error(`contracts: no schema at ${ref}`);
  cache.set(ref, fn);
  return fn;
}

function toIssues(errors: ErrorObject[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties'
        ? `/${String((e.params as { additionalProperty?: string }).additionalProperty)}`
        : e.keyword === 'required'
          ? `/${String((e.params as { missingProperty?: string }).missingProperty)}`
          : '';
    return {
      path: `${e.instancePath}${extra}` || '/',
      message: e.message ?? e.keyword,
      keyword: e.keyword,
    };
  });
}

/** Validate a value against a compiled validator and return typed issues. */
export function check<T>(fn: ValidateFunction, value: unknown): ValidationResult<T> {
  if (fn(value)) return { ok: true, value: value as T, issues: [] };
  return { ok: false, issues: toIssues(fn.errors) };
}
