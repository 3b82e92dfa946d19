import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSpec } from './parse-spec.js';
import { fakeId } from './test-fixture.js';

const A = fakeId('9101');
const B = fakeId('9102');

describe('ORCH-5009: parseSpec', () => {
  it('ORCH-5009: takes IDs, levels, titles and sections only from level-3 definition headings', () => {
    const md = [
      '# Spec',
      '',
      `Prose that mentions ${A} is a cross-reference, not a definition.`,
      '',
      '## 1. First',
      '',
      `### ${A} [MUST] Do the first thing`,
      '',
      'text',
      '',
      '```',
      `### ${B} [MAY] inside a code block`,
      '```',
      '',
      '## 2. Second',
      '',
      `### ${B} [SHOULD] Second *thing* with \`code\``,
    ].join('\n');
    const spec = parseSpec(md, 'spec.md');
    expect(spec.errors).toEqual([]);
    expect(spec.requirements.map((r) => [r.id, r.level, r.title, r.section])).toEqual([
      [A, 'MUST', 'Do the first thing', '1. First'],
      [B, 'SHOULD', 'Second thing with code', '2. Second'],
    ]);
    expect(spec.requirements[0]?.anchor).toBe('orch-9101-must-do-the-first-thing');
    expect(spec.sections.map((s) => s.title)).toEqual(['1. First', '2. Second']);
  });

  it('ORCH-5009: reports duplicate IDs and malformed definition headings', () => {
    const md = [
      '## S',
      `### ${A} [MUST] One`,
      `### ${A} [MAY] Again`,
      `### ${B} MUST no brackets`,
      `#### ${B} [MUST] wrong depth`,
    ].join('\n');
    const spec = parseSpec(md, 'spec.md');
    expect(spec.requirements).toHaveLength(1);
    expect(spec.errors).toHaveLength(3);
    expect(spec.errors[0]).toMatch(/already defined at line 2/);
    expect(spec.errors[1]).toMatch(/looks like a requirement/);
  });

  it('ORCH-5009: the real orchestrator spec parses cleanly with one level per ID', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const path = join(here, '../../../.specs/orchestrator-spec.md');
    const spec = parseSpec(readFileSync(path, 'utf8'), path);
    expect(spec.errors).toEqual([]);
    expect(spec.requirements.length).toBeGreaterThanOrEqual(100);
    expect(new Set(spec.requirements.map((r) => r.id)).size).toBe(spec.requirements.length);
    for (const req of spec.requirements) expect(req.section).not.toBe('');
  });
});
