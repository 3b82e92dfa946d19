import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run } from './cli.js';
import { diffOutputs, extract, writeOutputs } from './extract.js';
import { fakeId, makeTree, type FixtureTree } from './test-fixture.js';

const A = fakeId('9201');
const B = fakeId('9202');
const C = fakeId('9203');
const UNKNOWN = fakeId('9299');

function fixture(): FixtureTree {
  return makeTree({
    '.specs/core-spec.md': [
      '# Core',
      '## 1. Queues',
      `### ${B} [SHOULD] Second requirement`,
      `### ${A} [MUST] First requirement`,
      '## 2. Cancel',
      `### ${C} [MAY] Third requirement`,
    ].join('\n'),
    '.specs/metrics/no-ids.md': '# Metrics\n\nNo requirement here.\n',
    'core/src/queue.ts': `// ${A}: bounded queue\n`,
    'core/src/queue.test.ts': `it('${A}: fifo', () => {}); it('${B}: x', () => {});\n`,
    'core/src/b.ts': `// ${A} and ${A} again\n`,
    'test-harness/e2e/run.ts': `// ${C}\n`,
    'contracts/openapi/data.yaml': `x-req-id: ${B}\n`,
    'gateway/src/odd.ts': `// ${UNKNOWN} is not in the spec\n`,
    'node_modules/dep/index.ts': `// ${A}\n`,
    'proto/src/generated/x.ts': `// ${A}\n`,
    'docs/notes.md': `${A} in markdown is prose\n`,
  });
}

describe('ORCH-5009: spec-extract on a fixture tree', () => {
  let tree: FixtureTree | undefined;
  afterEach(() => tree?.remove());

  it('ORCH-5009: maps each ID to sorted test and code paths, skipping dependencies and generated code', () => {
    tree = fixture();
    const result = extract(tree.root);
    expect(result.errors).toEqual([]);
    expect([...result.outputs.keys()]).toEqual(['requirements/core-spec.yaml', 'COMPLIANCE.md']);
    const yaml: unknown = parse(result.outputs.get('requirements/core-spec.yaml') ?? '');
    expect(yaml).toEqual({
      spec: '.specs/core-spec.md',
      requirements: {
        [A]: {
          title: 'First requirement',
          level: 'MUST',
          section: '1. Queues',
          anchor: '.specs/core-spec.md#orch-9201-must-first-requirement',
          tests: ['core/src/queue.test.ts'],
          code: ['core/src/b.ts', 'core/src/queue.ts'],
        },
        [B]: {
          title: 'Second requirement',
          level: 'SHOULD',
          section: '1. Queues',
          anchor: '.specs/core-spec.md#orch-9202-should-second-requirement',
          tests: ['core/src/queue.test.ts'],
          code: ['contracts/openapi/data.yaml'],
        },
        [C]: {
          title: 'Third requirement',
          level: 'MAY',
          section: '2. Cancel',
          anchor: '.specs/core-spec.md#orch-9203-may-third-requirement',
          tests: ['test-harness/e2e/run.ts'],
          code: [],
        },
      },
    });
    expect(Object.keys((yaml as { requirements: object }).requirements)).toEqual([A, B, C]);
    expect([...result.unknown]).toEqual([[UNKNOWN, ['gateway/src/odd.ts']]]);
    expect(result.totals).toEqual({ ids: 3, withTest: 3, withCode: 2 });
    expect(result.sections).toBe(2);
  });

  it('ORCH-5009: COMPLIANCE.md has a table per section, totals and the unknown-ID warning', () => {
    tree = fixture();
    const compliance = extract(tree.root).outputs.get('COMPLIANCE.md') ?? '';
    expect(compliance).toContain('- Requirements: 3');
    expect(compliance).toContain('- With at least one test: 3 (100.0 %)');
    expect(compliance).toContain('## 1. Queues');
    expect(compliance).toContain('## 2. Cancel');
    expect(compliance).toContain(
      `| [${A}](.specs/core-spec.md#orch-9201-must-first-requirement) | First requirement | MUST | 1 | 2 |`,
    );
    expect(compliance).toContain(`- ${UNKNOWN}: \`gateway/src/odd.ts\``);
    expect(compliance).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });

  it('ORCH-5005: two runs give byte-identical output and --check then passes', () => {
    tree = fixture();
    const first = extract(tree.root);
    writeOutputs(tree.root, first);
    const second = extract(tree.root);
    expect([...second.outputs]).toEqual([...first.outputs]);
    expect(diffOutputs(tree.root, second)).toEqual([]);
    const log: string[] = [];
    expect(run(['--root', tree.root, '--check'], (l) => log.push(l))).toBe(0);
    tree.write('core/src/new.test.ts', `it('${C}: new', () => {});\n`);
    expect(run(['--root', tree.root, '--check'], (l) => log.push(l))).toBe(1);
    expect(log).toContain('out of date: COMPLIANCE.md');
  });

  it('ORCH-5009: --strict fails on unknown IDs; duplicates across spec files always fail', () => {
    tree = fixture();
    const log: string[] = [];
    expect(run(['--root', tree.root], (l) => log.push(l))).toBe(0);
    expect(readFileSync(join(tree.root, 'requirements/core-spec.yaml'), 'utf8')).toContain(A);
    expect(run(['--root', tree.root, '--strict'], (l) => log.push(l))).toBe(1);
    expect(log.some((l) => l.startsWith(`warning: ${UNKNOWN}`))).toBe(true);
    tree.write('.specs/other.md', `## X\n### ${A} [MAY] Clash\n`);
    expect(run(['--root', tree.root], (l) => log.push(l))).toBe(1);
    expect(log.some((l) => l.includes(`${A} is also defined in .specs/core-spec.md`))).toBe(true);
  });

  it('ORCH-5005: removes generated yaml whose spec lost its IDs, keeps hand-written yaml', () => {
    tree = fixture();
    writeOutputs(tree.root, extract(tree.root));
    tree.write('requirements/manual.yaml', 'hand: written\n');
    tree.write('.specs/core-spec.md', '# emptied\n');
    const after = extract(tree.root);
    expect(after.stale).toEqual(['requirements/core-spec.yaml']);
    writeOutputs(tree.root, after);
    expect(diffOutputs(tree.root, extract(tree.root))).toEqual([]);
    expect(readFileSync(join(tree.root, 'requirements/manual.yaml'), 'utf8')).toBe(
      'hand: written\n',
    );
  });
});
