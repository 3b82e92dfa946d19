import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseSpec } from './parse-spec.js';
import {
  renderCompliance,
  computeTotals,
  type SpecReport,
  type Totals,
} from './render-compliance.js';
import { GENERATED_MARKER, renderRequirementsYaml } from './render-yaml.js';
import { scanCitations } from './scan-citations.js';
import { compareStrings, walkFiles } from './walk-files.js';

const SPEC_DIR = '.specs';
const REQUIREMENTS_DIR = 'requirements';
const COMPLIANCE_FILE = 'COMPLIANCE.md';

interface ExtractResult {
  /** Repo-relative path → full content of every generated file. */
  readonly outputs: Map<string, string>;
  /** Generated yaml files on disk that no spec produces any more (removed by writeOutputs). */
  readonly stale: string[];
  /** ID → sorted files that cite it although no spec defines it. */
  readonly unknown: Map<string, string[]>;
  /** Spec problems (duplicate or malformed definitions); any of them fails the run. */
  readonly errors: string[];
  readonly totals: Totals;
  readonly sections: number;
}

function specFiles(root: string): string[] {
  if (!existsSync(join(root, SPEC_DIR))) return [];
  return walkFiles(join(root, SPEC_DIR), { include: (rel) => rel.endsWith('.md') }).map(
    (rel) => `${SPEC_DIR}/${rel}`,
  );
}

/** Computes every output in memory; writes nothing. */
export function extract(root: string): ExtractResult {
  const errors: string[] = [];
  const reports: SpecReport[] = [];
  for (const path of specFiles(root)) {
    const spec = parseSpec(readFileSync(join(root, path), 'utf8'), path);
    errors.push(...spec.errors);
    if (spec.requirements.length > 0) reports.push({ path, spec });
  }

  const definedIn = new Map<string, string>();
  for (const { path, spec } of reports) {
    for (const req of spec.requirements) {
      const other = definedIn.get(req.id);
      if (other !== undefined)
        errors.push(`${path}:${req.line}: ${req.id} is also defined in ${other}`);
      else definedIn.set(req.id, path);
    }
  }

  const citations = scanCitations(root);
  const unknown = new Map<string, string[]>();
  const citedIds = [...new Set([...citations.tests.keys(), ...citations.code.keys()])];
  for (const id of citedIds.sort(compareStrings)) {
    if (definedIn.has(id)) continue;
    const files = [...(citations.tests.get(id) ?? []), ...(citations.code.get(id) ?? [])];
    unknown.set(id, files.sort(compareStrings));
  }

  const outputs = new Map<string, string>();
  for (const { path, spec } of reports) {
    const target = `${REQUIREMENTS_DIR}/${basename(path, '.md')}.yaml`;
    if (outputs.has(target)) {
      errors.push(`${path}: another spec file already writes ${target}; rename one of them`);
      continue;
    }
    outputs.set(target, renderRequirementsYaml(path, spec.requirements, citations));
  }
  outputs.set(COMPLIANCE_FILE, renderCompliance(reports, citations, unknown));

  const stale = generatedYamlOnDisk(root).filter((rel) => !outputs.has(rel));
  const sections = reports.reduce((n, r) => n + r.spec.sections.length, 0);
  return { outputs, stale, unknown, errors, totals: computeTotals(reports, citations), sections };
}

/** Only files carrying our marker are ours to delete; hand-written yaml there is left alone. */
function generatedYamlOnDisk(root: string): string[] {
  const dir = join(root, REQUIREMENTS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => `${REQUIREMENTS_DIR}/${name}`)
    .filter((rel) => readFileSync(join(root, rel), 'utf8').includes(GENERATED_MARKER))
    .sort(compareStrings);
}

/** Paths whose content on disk differs from what extract() computed, plus stale files. */
export function diffOutputs(root: string, result: ExtractResult): string[] {
  const changed: string[] = [];
  for (const [rel, content] of result.outputs) {
    const abs = join(root, rel);
    if (!existsSync(abs) || readFileSync(abs, 'utf8') !== content) changed.push(rel);
  }
  return [...changed, ...result.stale].sort(compareStrings);
}

export function writeOutputs(root: string, result: ExtractResult): void {
  for (const [rel, content] of result.outputs) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
  for (const rel of result.stale) rmSync(join(root, rel));
}
