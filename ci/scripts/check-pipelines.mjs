#!/usr/bin/env node
// Keeps ci/pipelines.yml honest: every script a job lists exists in the root package.json, and
// every `planned` one does not exist yet. Exit 1 with one line per problem.
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
        problems.push(
          `${job.job}: "${s}" now exists in package.json; move it from planned to scripts`,
        );
      } else planned++;
    }
  }
}
for (const s of [doc?.toolchain?.script].filter(Boolean)) {
  if (scripts[s] === undefined) problems.push(`toolchain: script "${s}" is not in package.json`);
}

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`ci/pipelines.yml: ${p}\n`);
  process.exit(1);
}
process.stdout.write(
  `ci/pipelines.yml ok: ${present} script mappings present, ${planned} planned\n`,
);
