import GithubSlugger from 'github-slugger';
import { nodeText, parseMarkdown } from './markdown.js';

const LEVELS = ['MUST', 'SHOULD', 'MAY'] as const;
type Level = (typeof LEVELS)[number];

/** Matches any ORCH-ID token; a fifth digit or a letter/digit before it means it is not one. */
export const ID_PATTERN = /(?<![A-Za-z0-9])ORCH-(\d{4})(?!\d)/g;

/** The only heading form that defines a requirement: `ORCH-NNNN [LEVEL] Title`. */
const DEFINITION = new RegExp(`^ORCH-(\\d{4}) \\[(${LEVELS.join('|')})\\] (\\S.*)$`);

export interface Requirement {
  readonly id: string;
  readonly level: Level;
  readonly title: string;
  /** Title of the enclosing level-2 heading, or '' when there is none. */
  readonly section: string;
  /** GitHub anchor of the defining heading, without '#'. */
  readonly anchor: string;
  readonly line: number;
}

interface SpecSection {
  readonly title: string;
  readonly requirements: Requirement[];
}

export interface ParsedSpec {
  readonly sections: SpecSection[];
  readonly requirements: Requirement[];
  /** Problems that make the spec unusable as a source of IDs (duplicates, malformed headings). */
  readonly errors: string[];
}

/**
 * Extracts requirement definitions from one spec file. Only level-3 headings define IDs, so a
 * cross-reference in prose or an ID inside a code block can never be mistaken for a definition.
 */
export function parseSpec(markdown: string, file: string): ParsedSpec {
  const tree = parseMarkdown(markdown);
  const slugger = new GithubSlugger();
  const sections: SpecSection[] = [];
  const requirements: Requirement[] = [];
  const errors: string[] = [];
  const seen = new Map<string, number>();
  let current: SpecSection | undefined;

  for (const node of tree.children) {
    if (node.type !== 'heading') continue;
    const text = nodeText(node).trim();
    const anchor = slugger.slug(text);
    const line = node.position?.start.line ?? 0;
    if (node.depth === 2) {
      current = { title: text, requirements: [] };
      sections.push(current);
      continue;
    }
    const mentionsId = new RegExp(ID_PATTERN.source).test(text);
    const match = DEFINITION.exec(text);
    if (node.depth !== 3 || !match) {
      if (mentionsId && text.startsWith('ORCH-')) {
        errors.push(
          `${file}:${line}: heading "${text}" looks like a requirement but is not ` +
            '"### ORCH-NNNN [MUST|SHOULD|MAY] Title"',
        );
      }
      continue;
    }
    const id = `ORCH-${match[1] ?? ''}`;
    const previous = seen.get(id);
    if (previous !== undefined) {
      errors.push(`${file}:${line}: ${id} is already defined at line ${previous}`);
      continue;
    }
    seen.set(id, line);
    if (!current) {
      current = { title: '', requirements: [] };
      sections.push(current);
    }
    const requirement: Requirement = {
      id,
      level: match[2] as Level,
      title: (match[3] ?? '').trim(),
      section: current.title,
      anchor,
      line,
    };
    current.requirements.push(requirement);
    requirements.push(requirement);
  }
  return { sections: sections.filter((s) => s.requirements.length > 0), requirements, errors };
}
