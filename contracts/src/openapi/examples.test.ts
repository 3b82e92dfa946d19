import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { check, compiledRef, schemaValidator } from './ajv.js';
import type { DocName } from './ajv.js';
import { CONTROL_DOC_ID, DATA_DOC_ID, controlDocument, dataDocument } from './documents.js';
import type { OpenApiDocument } from './documents.js';
import { absoluteRef } from './operations.js';
import { validateSseTranscript } from '../validate.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface FoundExample {
  where: string;
  mediaType: string;
  schema: unknown;
  value: unknown;
}

/** Every media-type example anywhere in a document (paths and components). */
function collectExamples(doc: OpenApiDocument): FoundExample[] {
  const out: FoundExample[] = [];
  const visit = (node: unknown, where: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${where}/${i}`));
    if (!isObj(node)) return;
    if (isObj(node.content)) {
      for (const [mediaType, media] of Object.entries(node.content)) {
        if (!isObj(media)) continue;
        if (media.example !== undefined) {
          out.push({
            where: `${where}/${mediaType}`,
            mediaType,
            schema: media.schema,
            value: media.example,
          });
        }
        if (isObj(media.examples)) {
          for (const [name, ex] of Object.entries(media.examples)) {
            if (isObj(ex))
              out.push({
                where: `${where}/${mediaType}/${name}`,
                mediaType,
                schema: media.schema,
                value: ex.value,
              });
          }
        }
      }
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'content') visit(v, `${where}/${k}`);
  };
  visit(doc.paths, '#/paths');
  visit(doc.components, '#/components');
  return out;
}

const docs: [string, string, OpenApiDocument][] = [
  ['data.yaml', DATA_DOC_ID, dataDocument],
  ['control.yaml', CONTROL_DOC_ID, controlDocument],
];

describe('ORCH-3044: every OpenAPI example validates against its schema', () => {
  for (const [file, docId, doc] of docs) {
    const examples = collectExamples(doc);
    it(`ORCH-3044: ${file} has examples`, () => {
      expect(examples.length).toBeGreaterThan(5);
    });
    for (const ex of examples) {
      it(`ORCH-3044: ${file} ${ex.where}`, () => {
        if (ex.mediaType === 'text/event-stream') {
          const r = validateSseTranscript(String(ex.value));
          expect(r.issues).toEqual([]);
          return;
        }
        if (ex.mediaType !== 'application/json') {
          expect(typeof ex.value).toBe('string');
          return;
        }
        expect(isObj(ex.schema) && typeof ex.schema.$ref === 'string').toBe(true);
        const ref = absoluteRef(docId, String((ex.schema as Obj).$ref));
        const r = check(compiledRef(ref), ex.value);
        expect(r.issues).toEqual([]);
      });
    }
  }
});

const negDir = fileURLToPath(new URL('../../examples/negative/openapi/', import.meta.url));
interface Negative {
  why: string;
  doc: DocName;
  schema: string;
  value: unknown;
  expect: string[];
}

describe('ORCH-3044: deliberately broken examples fail with the expected fields', () => {
  const files = readdirSync(negDir).filter((f) => f.endsWith('.json'));
  it('ORCH-3044: one negative case per main schema exists', () => {
    const schemas = new Set(
      files.map((f) => (JSON.parse(readFileSync(negDir + f, 'utf8')) as Negative).schema),
    );
    for (const s of [
      'TaskRequest',
      'AdmissionResponse',
      'ErrorEnvelope',
      'BackpressureErrorEnvelope',
      'SessionInfo',
      'SseEnd',
      'SseError',
      'DrainRequest',
      'ReloadRequest',
      'PoolHealth',
      'Capabilities',
      'ReplicaSetList',
    ]) {
      expect(schemas.has(s), s).toBe(true);
    }
  });
  for (const f of files) {
    it(`ORCH-3044: ${f} is rejected`, () => {
      const neg = JSON.parse(readFileSync(negDir + f, 'utf8')) as Negative;
      const r = check(schemaValidator(neg.doc, neg.schema), neg.value);
      expect(r.ok).toBe(false);
      const paths = r.issues.map((i) => i.path);
      for (const p of neg.expect) expect(paths, neg.why).toContain(p);
    });
  }
  for (const f of readdirSync(negDir).filter((n) => n.endsWith('.sse'))) {
    it(`ORCH-2027: ${f} violates stream order`, () => {
      const r = validateSseTranscript(readFileSync(negDir + f, 'utf8'));
      expect(r.ok).toBe(false);
      expect(r.issues.some((i) => i.keyword === 'order')).toBe(true);
    });
  }
});
