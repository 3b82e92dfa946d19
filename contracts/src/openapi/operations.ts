// Resolves an operation's declared response (status → schema ref and required headers) from the
// OpenAPI documents, following the $refs between and within data.yaml and control.yaml.
import { CONTROL_DOC_ID, DATA_DOC_ID, controlDocument, dataDocument } from './documents.js';
import type { OpenApiDocument } from './documents.js';

const DOCS: Record<string, OpenApiDocument> = {
  [DATA_DOC_ID]: dataDocument,
  [CONTROL_DOC_ID]: controlDocument,
};

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turn a $ref written in document `base` into an absolute `docId#/pointer`. */
export function absoluteRef(base: string, ref: string): string {
  const [file, pointer = ''] = ref.split('#');
  const docId = file ? new URL(file, base).href : base;
  return `${docId}#${pointer}`;
}

function deref(base: string, node: unknown): { base: string; node: unknown } {
  let cur = { base, node };
  for (let hops = 0; hops < 8 && isObj(cur.node) && typeof cur.node.$ref === 'string'; hops++) {
    const abs = absoluteRef(cur.base, cur.node.$ref);
    const [docId = '', pointer = ''] = abs.split('#');
    const doc = DOCS[docId];
    if (!doc) throw new Error(`contracts: unknown document in $ref ${abs}`);
    let target: unknown = doc;
    for (const part of pointer.split('/').filter(Boolean)) {
      target = isObj(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    }
    if (target === undefined) throw new Error(`contracts: dangling $ref ${abs}`);
    cur = { base: docId, node: target };
  }
  return cur;
}

export interface OperationInfo {
  docId: string;
  method: string;
  path: string;
  operationId: string;
  reqId: string;
  operation: Obj;
}

/** Every operation of both documents, in document order. */
export function listOperations(): OperationInfo[] {
  const out: OperationInfo[] = [];
  for (const [docId, doc] of Object.entries(DOCS)) {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!isObj(op) || typeof op.operationId !== 'string') continue;
        out.push({
          docId,
          method,
          path,
          operationId: op.operationId,
          reqId: typeof op['x-req-id'] === 'string' ? op['x-req-id'] : '',
          operation: op,
        });
      }
    }
  }
  return out;
}

/** One declared path as a matcher, with its declared methods (upper case). */
interface PathMethods {
  readonly regex: RegExp;
  readonly methods: readonly string[];
}

let pathTable: readonly PathMethods[] | undefined;

/**
 * ORCH-3144: the methods both documents declare for a concrete request path (`{param}` segments
 * match one path segment), or undefined when no document declares the path. The REST server
 * answers a method outside this list with 405 and `Allow` listing it.
 */
export function declaredMethods(path: string): readonly string[] | undefined {
  pathTable ??= (() => {
    const byPath = new Map<string, Set<string>>();
    for (const op of listOperations()) {
      const set = byPath.get(op.path) ?? new Set<string>();
      set.add(op.method.toUpperCase());
      byPath.set(op.path, set);
    }
    return [...byPath].map(([template, methods]) => ({
      regex: new RegExp(
        `^${template
          .split(/(\{[^}]+\})/)
          .map((part) =>
            part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'),
          )
          .join('')}$`,
      ),
      methods: [...methods].sort(),
    }));
  })();
  const methods = new Set<string>();
  for (const p of pathTable) if (p.regex.test(path)) for (const m of p.methods) methods.add(m);
  return methods.size === 0 ? undefined : [...methods].sort();
}

export function findOperation(operationId: string): OperationInfo {
  const op = listOperations().find((o) => o.operationId === operationId);
  if (!op) throw new Error(`contracts: unknown operationId ${operationId}`);
  return op;
}

export interface ResponseSpec {
  /** Absolute schema ref for application/json bodies; undefined for bodiless/non-JSON. */
  schemaRef?: string;
  contentTypes: string[];
  requiredHeaders: string[];
}

/** Declared response for an operation and status, or undefined when the status is undeclared. */
export function responseSpec(operationId: string, status: number): ResponseSpec | undefined {
  const op = findOperation(operationId);
  const responses = op.operation.responses;
  if (!isObj(responses) || responses[String(status)] === undefined) return undefined;
  const { base, node } = deref(op.docId, responses[String(status)]);
  if (!isObj(node)) return undefined;
  const content = isObj(node.content) ? node.content : {};
  const json = content['application/json'];
  let schemaRef: string | undefined;
  if (isObj(json) && isObj(json.schema) && typeof json.schema.$ref === 'string') {
    schemaRef = absoluteRef(base, json.schema.$ref);
  }
  const requiredHeaders: string[] = [];
  if (isObj(node.headers)) {
    for (const [name, h] of Object.entries(node.headers)) {
      const resolved = deref(base, h).node;
      if (isObj(resolved) && resolved.required === true) requiredHeaders.push(name.toLowerCase());
    }
  }
  return { schemaRef, contentTypes: Object.keys(content), requiredHeaders };
}
