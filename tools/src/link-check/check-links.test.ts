import { afterEach, describe, expect, it } from 'vitest';
import { makeTree, type FixtureTree } from '../spec-extract/test-fixture.js';
import { checkLinks } from './check-links.js';
import { run } from './cli.js';

const GOOD: Record<string, string> = {
  'README.md': [
    '# Project',
    '',
    'See [the spec](docs/spec.md), [its second part](docs/spec.md#part-two-details),',
    '[a repeat](docs/spec.md#notes-1), [here](#usage), [a dir](docs/), [code](src/a.ts#L3-L9),',
    '[root-relative](/docs/spec.md#notes) and [escaped](docs/my%20file.md).',
    '![logo](img/logo.png) [ref][spec] [ext](https://example.com/x) <https://example.org>',
    '[mail](mailto:ops@example.com)',
    '',
    '<p><img src="img/logo.png"> <a href="docs/spec.md#notes">notes</a></p>',
    '',
    '## Usage',
    '',
    '[spec]: docs/spec.md#anchor-here',
  ].join('\n'),
  'docs/spec.md': [
    '# Spec',
    '## Part *two*: details',
    '## Notes',
    '## Notes',
    '<a name="anchor-here"></a>',
    '[back](../README.md#usage)',
  ].join('\n'),
  'docs/my file.md': '# x\n',
  'src/a.ts': 'export {};\n',
  'img/logo.png': 'png',
  'node_modules/pkg/README.md': '[broken](nowhere.md)\n',
};

describe('ORCH-5009: link checker', () => {
  let tree: FixtureTree | undefined;
  afterEach(() => tree?.remove());

  it('ORCH-5009: passes a tree whose relative links and anchors all resolve', () => {
    tree = makeTree(GOOD);
    const report = checkLinks(tree.root);
    expect(report.broken).toEqual([]);
    expect(report.files).toBe(3);
    expect(report.checked).toBe(13);
    expect(report.external.map((e) => e.url)).toEqual([
      'https://example.com/x',
      'https://example.org',
    ]);
    expect(run(['--root', tree.root], () => undefined)).toBe(0);
  });

  it('ORCH-5009: flags a missing file, a missing anchor and a link out of the repository', () => {
    tree = makeTree({
      ...GOOD,
      'docs/bad.md': [
        '# Bad',
        '',
        '[gone](missing.md) and [no such heading](spec.md#part-three)',
        '[self](#nope) [escape](../../outside.md) [line](../src/a.ts#not-a-line)',
        '',
        '<a href="gone.md">html</a>',
      ].join('\n'),
    });
    const report = checkLinks(tree.root);
    expect(report.broken.map((b) => [b.file, b.line, b.url, b.reason])).toEqual([
      ['docs/bad.md', 3, 'missing.md', 'file not found: docs/missing.md'],
      ['docs/bad.md', 3, 'spec.md#part-three', 'no heading for #part-three in docs/spec.md'],
      ['docs/bad.md', 4, '#nope', 'no heading for #nope in docs/bad.md'],
      ['docs/bad.md', 4, '../../outside.md', 'points outside the repository'],
      ['docs/bad.md', 4, '../src/a.ts#not-a-line', 'anchor #not-a-line in a non-markdown file'],
      ['docs/bad.md', 6, 'gone.md', 'file not found: docs/gone.md'],
    ]);
    const log: string[] = [];
    expect(run(['--root', tree.root], (l) => log.push(l))).toBe(1);
    expect(log).toContain(
      'docs/bad.md:3:1: broken link "missing.md": file not found: docs/missing.md',
    );
  });
});
