import type { ParsedSpec } from './parse-spec.js';
import type { Citations } from './scan-citations.js';
import { GENERATED_MARKER } from './render-yaml.js';

export interface SpecReport {
  readonly path: string;
  readonly spec: ParsedSpec;
}

export interface Totals {
  readonly ids: number;
  readonly withTest: number;
  readonly withCode: number;
}

export function computeTotals(reports: readonly SpecReport[], citations: Citations): Totals {
  let ids = 0;
  let withTest = 0;
  let withCode = 0;
  for (const { spec } of reports) {
    for (const req of spec.requirements) {
      ids += 1;
      if ((citations.tests.get(req.id)?.length ?? 0) > 0) withTest += 1;
      if ((citations.code.get(req.id)?.length ?? 0) > 0) withCode += 1;
    }
  }
  return { ids, withTest, withCode };
}

/** Table cells must not break the row: pipes are escaped, nothing else in a title needs it. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '0.0' : ((100 * part) / whole).toFixed(1);
}

/**
 * COMPLIANCE.md: one table per spec section in document order, totals first, then IDs cited in
 * the repository that no spec defines. No timestamps, so the file changes only with its inputs.
 */
export function renderCompliance(
  reports: readonly SpecReport[],
  citations: Citations,
  unknown: ReadonlyMap<string, readonly string[]>,
): string {
  const totals = computeTotals(reports, citations);
  const lines: string[] = [
    '# Compliance',
    '',
    `<!-- ${GENERATED_MARKER}; do not edit. Regenerate with \`npm run spec:extract\`. -->`,
    '',
    'Coverage of every requirement in `.specs/` by the tests and code that cite its ID. A test',
    'cites an ID in its `describe`/`it` name; code cites it in a comment. A count says that a',
    'citation exists, not that the requirement is met.',
    '',
    '## Totals',
    '',
    `- Requirements: ${totals.ids}`,
    `- With at least one test: ${totals.withTest} (${percent(totals.withTest, totals.ids)} %)`,
    `- With at least one code reference: ${totals.withCode} (${percent(totals.withCode, totals.ids)} %)`,
    `- Cited but not defined in any spec: ${unknown.size}`,
    '',
  ];
  for (const { path, spec } of reports) {
    for (const section of spec.sections) {
      const title = section.title === '' ? path : section.title;
      lines.push(`## ${title}`, '', `Source: [${path}](${path})`, '');
      lines.push('| ID | Title | Level | Tests | Code |', '| --- | --- | --- | ---: | ---: |');
      for (const req of section.requirements) {
        const tests = citations.tests.get(req.id)?.length ?? 0;
        const code = citations.code.get(req.id)?.length ?? 0;
        lines.push(
          `| [${req.id}](${path}#${req.anchor}) | ${cell(req.title)} | ${req.level} | ${tests} | ${code} |`,
        );
      }
      lines.push('');
    }
  }
  lines.push('## Unknown IDs', '');
  if (unknown.size === 0) {
    lines.push('None: every cited ID is defined in a spec.', '');
  } else {
    lines.push('Cited in the repository but defined in no spec (fails `--strict`):', '');
    for (const [id, files] of unknown)
      lines.push(`- ${id}: ${files.map((f) => `\`${f}\``).join(', ')}`);
    lines.push('');
  }
  return lines.join('\n');
}
