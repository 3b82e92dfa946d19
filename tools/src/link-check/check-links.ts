import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, posix, sep } from 'node:path';
import { walkFiles } from '../spec-extract/walk-files.js';
import { classifyLink } from './classify-link.js';
import { extractMarkdown, type MarkdownFacts } from './extract-links.js';

interface BrokenLink {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly url: string;
  readonly reason: string;
}

interface ExternalLink {
  readonly file: string;
  readonly line: number;
  readonly url: string;
}

interface LinkReport {
  readonly files: number;
  readonly checked: number;
  readonly broken: BrokenLink[];
  readonly external: ExternalLink[];
}

/** GitHub's line anchors on non-markdown files (`#L10`, `#L10-L20`). */
const LINE_ANCHOR = /^L\d+(-L\d+)?$/;

/**
 * Checks every relative link and anchor in the repository's markdown without the network.
 * External links are only listed. Paths resolve as GitHub does: relative to the linking file,
 * or to the repository root when they start with '/'.
 */
export function checkLinks(root: string): LinkReport {
  const files = walkFiles(root, { include: (rel) => rel.toLowerCase().endsWith('.md') });
  const facts = new Map<string, MarkdownFacts>();
  const load = (rel: string): MarkdownFacts => {
    let known = facts.get(rel);
    if (!known) {
      known = extractMarkdown(readFileSync(join(root, rel), 'utf8'));
      facts.set(rel, known);
    }
    return known;
  };

  const broken: BrokenLink[] = [];
  const external: ExternalLink[] = [];
  let checked = 0;
  for (const file of files) {
    for (const link of load(file).links) {
      const target = classifyLink(link.url);
      if (target.kind === 'external') {
        external.push({ file, line: link.line, url: link.url });
        continue;
      }
      if (target.kind === 'ignored') continue;
      checked += 1;
      const fail = (reason: string): void => {
        broken.push({ file, line: link.line, column: link.column, url: link.url, reason });
      };
      let targetRel = file;
      if (target.path !== '') {
        const base = target.path.startsWith('/') ? '.' : dirname(file);
        const joined = normalize(join(base, target.path.replace(/^\/+/, '')));
        if (joined === '..' || joined.startsWith(`..${sep}`)) {
          fail('points outside the repository');
          continue;
        }
        targetRel = joined.split(sep).join(posix.sep).replace(/\/$/, '');
        if (!existsSync(join(root, targetRel))) {
          fail(`file not found: ${targetRel}`);
          continue;
        }
      }
      if (target.anchor === undefined) continue;
      if (statSync(join(root, targetRel)).isDirectory()) {
        fail(`anchor #${target.anchor} on a directory`);
      } else if (targetRel.toLowerCase().endsWith('.md')) {
        if (!load(targetRel).anchors.has(target.anchor.toLowerCase())) {
          fail(`no heading for #${target.anchor} in ${targetRel}`);
        }
      } else if (!LINE_ANCHOR.test(target.anchor)) {
        fail(`anchor #${target.anchor} in a non-markdown file`);
      }
    }
  }
  return { files: files.length, checked, broken, external };
}
