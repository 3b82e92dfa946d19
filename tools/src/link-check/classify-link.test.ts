import { describe, expect, it } from 'vitest';
import { classifyLink } from './classify-link.js';

describe('ORCH-5009: classifyLink', () => {
  it.each([
    ['https://example.com/a#b', { kind: 'external', url: 'https://example.com/a#b' }],
    ['HTTP://example.com', { kind: 'external', url: 'HTTP://example.com' }],
    ['mailto:a@b.c', { kind: 'ignored', url: 'mailto:a@b.c' }],
    ['//cdn.example.com/x.js', { kind: 'ignored', url: '//cdn.example.com/x.js' }],
    ['#Section-Two', { kind: 'local', path: '', anchor: 'Section-Two' }],
    ['docs/a%20b.md?plain=1#x', { kind: 'local', path: 'docs/a b.md', anchor: 'x' }],
    ['../up.md#', { kind: 'local', path: '../up.md', anchor: undefined }],
    ['bad%zz.md', { kind: 'local', path: 'bad%zz.md', anchor: undefined }],
  ] as const)('ORCH-5009: %s', (url, expected) => {
    expect(classifyLink(url)).toEqual(expected);
  });
});
