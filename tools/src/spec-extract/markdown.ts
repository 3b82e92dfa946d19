import { fromMarkdown } from 'mdast-util-from-markdown';
import type { Nodes, Root } from 'mdast';

/** Parses CommonMark into an mdast tree with positions (1-based lines). */
export function parseMarkdown(text: string): Root {
  return fromMarkdown(text);
}

/** Plain text of a node as GitHub renders it for slugs: text and inline code, markup dropped. */
export function nodeText(node: Nodes): string {
  if (node.type === 'text' || node.type === 'inlineCode') return node.value;
  if ('children' in node) return node.children.map((child) => nodeText(child)).join('');
  return '';
}

/** Calls `fn` for every node in document order. */
export function visitNodes(node: Nodes, fn: (node: Nodes) => void): void {
  fn(node);
  if ('children' in node) for (const child of node.children) visitNodes(child, fn);
}
