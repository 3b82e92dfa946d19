#!/usr/bin/env node
// Keeps ci/pipelines.yml honest: every script a job lists must exist in the root package.json
// (exit 1 otherwise); a `planned` script that now exists is reported as a warning, so landing a
// script never breaks CI, but the mapping gets updated.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts ?? {};
const doc = parse(readFileSync(join(ROOT, 'ci', 'pipelines.yml'), 'utf8'));

const REQUIRED_JOBS = {
  ci: [
    'precommit',
    'cdc_consumer',
    'stub_flow',
    'provider_verify',
    'unit_props',
    'determinism',
    'e2e_haiku',
    'docs_compliance',
  ],
  nightly: ['chaos', 'load_slo'],
};

const problems = [];
const warnings = [];
let present = 0;
let planned = 0;
for (const [pipeline, required] of Object.entries(REQUIRED_JOBS)) {
  const jobs = doc?.pipelines?.[pipeline] ?? [];
  for (const name of required) {
    if (!jobs.some((j) => j.job === name))
      problems.push(`${pipeline}: seed job "${name}" is missing`);
  }
  for (const job of jobs) {
    for (const s of job.scripts ?? []) {
      if (scripts[s] === undefined)
        problems.push(`${job.job}: script "${s}" is not in package.json`);
      else present++;
    }
    for (const s of job.planned ?? []) {
      if (scripts[s] !== undefined) {
        warnings.push(
          `${job.job}: "${s}" now exists in package.json; move it from planned to scripts`,
        );
      } else planned++;
    }
  }
}
for (const s of [doc?.toolchain?.script].filter(Boolean)) {
  if (scripts[s] === undefined) problems.push(`toolchain: script "${s}" is not in package.json`);
}

for (const w of warnings) process.stderr.write(`ci/pipelines.yml: warning: ${w}\n`);
if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`ci/pipelines.yml: ${p}\n`);
  process.exit(1);
}
process.stdout.write(
  `ci/pipelines.yml ok: ${present} script mappings present, ${planned} planned\n`,
);
