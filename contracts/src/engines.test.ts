import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENGINES, isEngine } from './engines.js';
import { controlDocument, dataDocument } from './openapi/documents.js';

const enumOf = (doc: { components: { schemas: Record<string, unknown> } }): unknown =>
  (doc.components.schemas.Engine as { enum: string[] }).enum;

describe('ORCH-2008: one engine catalogue, equal to every Engine enum in the contracts', () => {
  it('ORCH-2008: data.yaml declares the same engines, in the same order', () => {
    expect(enumOf(dataDocument)).toEqual([...ENGINES]);
    // control.yaml declares no enum of its own: every engine field refers to data.yaml's.
    expect(JSON.stringify(controlDocument.components.schemas)).not.toContain('"triton"');
  });

  it('ORCH-2008: the emitted config schema names the same engines for a pool', () => {
    const schema = readFileSync(new URL('../schemas/config.schema.json', import.meta.url), 'utf8');
    const enums = [...schema.matchAll(/"enum":\s*\[([^\]]*)\]/g)]
      .map((m) => JSON.parse(`[${m[1]}]`) as string[])
      .filter((values) => values.includes('llamacpp'));
    expect(enums.length).toBeGreaterThan(0);
    for (const values of enums) expect(values).toEqual([...ENGINES]);
  });

  it('ORCH-2008: isEngine accepts exactly the catalogue', () => {
    for (const e of ENGINES) expect(isEngine(e)).toBe(true);
    for (const v of ['', 'LLAMACPP', 'mock', undefined, 3]) expect(isEngine(v)).toBe(false);
  });
});
