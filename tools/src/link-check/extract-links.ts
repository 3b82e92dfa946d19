import GithubSlugger from 'github-slugger';
import { nodeText, parseMarkdown, visitNodes } from '../spec-extract/markdown.js';

interface MarkdownLink {
  readonly url: string;
  readonly line: number;
  readonly column: number;
}

export interface MarkdownFacts {
  readonly links: MarkdownLink[];
  /** Every anchor a link may target in this file, lowercased, without '#'. */
  readonly anchors: Set<string>;
}

/** Explicit anchors in raw HTML: `<a name="x">`, `<a id="x">`, `<span id="x">`. */
const HTML_ANCHOR = /\s(?:id|name)\s*=\s*["']([^"']+)["']/gi;
/** Link targets in raw HTML: `<a href="x">`, `<img src="x">`. */
const HTML_LINK = /\s(?:href|src)\s*=\s*["']([^"']+)["']/gi;

/**
 * Collects links (inline, images, reference definitions and raw HTML href/src) and heading anchors. Anchors follow
 * GitHub: slugs of headings, with `-1`, `-2` suffixes for repeats, plus explicit HTML ids.
 */
export function extractMarkdown(text: string): MarkdownFacts {
  const tree = parseMarkdown(text);
  const slugger = new GithubSlugger();
  const links: MarkdownLink[] = [];
  const anchors = new Set<string>();
  visitNodes(tree, (node) => {
    if (node.type === 'heading') {
      anchors.add(slugger.slug(nodeText(node).trim()));
    } else if (node.type === 'link' || node.type === 'image' || node.type === 'definition') {
      const start = node.position?.start;
      links.push({ url: node.url, line: start?.line ?? 0, column: start?.column ?? 0 });
    } else if (node.type === 'html') {
      for (const match of node.value.matchAll(HTML_ANCHOR)) {
        anchors.add((match[1] ?? '').toLowerCase());
      }
      const start = node.position?.start;
      for (const match of node.value.matchAll(HTML_LINK)) {
        links.push({ url: match[1] ?? '', line: start?.line ?? 0, column: start?.column ?? 0 });
      }
    }
  });
  return { links, anchors };
}
