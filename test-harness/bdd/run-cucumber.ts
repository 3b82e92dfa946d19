// Runs cucumber-js in a child process (tsx loads the TypeScript steps) and summarises its
// message stream: scenario results and every undefined or ambiguous step.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/stack/index.js';

interface CucumberRun {
  code: number | null;
  /** Scenario (test case) results by status, e.g. { PASSED: 20 }. */
  scenarios: Record<string, number>;
  undefinedSteps: string[];
  ambiguousSteps: string[];
  output: string;
}

interface CucumberOptions {
  /** Tag expression; default excludes @wip; null runs every scenario. */
  tags?: string | null;
  dryRun?: boolean;
  timeoutMs?: number;
}

const BIN = 'node_modules/@cucumber/cucumber/bin/cucumber.js';

interface Envelope {
  pickle?: { id: string; name: string; steps: { id: string; text: string }[] };
  testCase?: { id: string; pickleId: string; testSteps: { id: string; pickleStepId?: string }[] };
  testCaseStarted?: { id: string; testCaseId: string };
  testStepFinished?: {
    testCaseStartedId: string;
    testStepId: string;
    testStepResult: { status: string };
  };
  testCaseFinished?: { testCaseStartedId: string; willBeRetried: boolean };
}

export async function runCucumber(o: CucumberOptions = {}): Promise<CucumberRun> {
  const dir = await mkdtemp(join(tmpdir(), 'orch-bdd-'));
  const messages = join(dir, 'messages.ndjson');
  const args = [
    '--import',
    'tsx',
    BIN,
    'test-harness/bdd/features/**/*.feature',
    '--import',
    'test-harness/bdd/support/world.ts',
    '--import',
    'test-harness/bdd/steps/*.steps.ts',
    '--strict',
    ...(o.tags === null ? [] : ['--tags', o.tags ?? 'not @wip']),
    '--format',
    'summary',
    '--format',
    `message:${messages}`,
    ...(o.dryRun ? ['--dry-run'] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-2_000_000)));
  child.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-2_000_000)));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGTERM'), o.timeoutMs ?? 900_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const text = await readFile(messages, 'utf8').catch(() => '');
  await rm(dir, { recursive: true, force: true });
  return { code, output: digest(output), ...summarise(text) };
}

/**
 * What a failing run's message shows: the first failures in full (the cause is usually the
 * first; later scenarios often fail only because of it), then the closing counts. A plain tail
 * would cut the first failures off when many scenarios fail.
 */
function digest(output: string): string {
  const first = output.search(/^1\) Scenario/m);
  if (first < 0 || output.length <= 24_000) return output.slice(-24_000);
  return `${output.slice(first, first + 16_000)}\n[…]\n${output.slice(-4_000)}`;
}

function summarise(ndjson: string): Omit<CucumberRun, 'code' | 'output'> {
  const stepText = new Map<string, string>();
  const testStepToPickleStep = new Map<string, string>();
  const started = new Map<string, string>();
  const worst = new Map<string, string>();
  const undefinedSteps: string[] = [];
  const ambiguousSteps: string[] = [];
  const rank = ['PASSED', 'SKIPPED', 'PENDING', 'UNDEFINED', 'AMBIGUOUS', 'FAILED'];
  for (const line of ndjson.split('\n')) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as Envelope;
    if (m.pickle) for (const s of m.pickle.steps) stepText.set(s.id, s.text);
    if (m.testCase) {
      for (const s of m.testCase.testSteps) {
        if (s.pickleStepId) testStepToPickleStep.set(s.id, s.pickleStepId);
      }
    }
    if (m.testCaseStarted) started.set(m.testCaseStarted.id, m.testCaseStarted.testCaseId);
    if (m.testStepFinished) {
      const { status } = m.testStepFinished.testStepResult;
      const text =
        stepText.get(testStepToPickleStep.get(m.testStepFinished.testStepId) ?? '') ?? '?';
      if (status === 'UNDEFINED') undefinedSteps.push(text);
      if (status === 'AMBIGUOUS') ambiguousSteps.push(text);
      const id = m.testStepFinished.testCaseStartedId;
      const prev = worst.get(id) ?? 'PASSED';
      if (rank.indexOf(status) > rank.indexOf(prev)) worst.set(id, status);
      else worst.set(id, prev);
    }
  }
  const scenarios: Record<string, number> = {};
  for (const id of started.keys()) {
    const s = worst.get(id) ?? 'PASSED';
    scenarios[s] = (scenarios[s] ?? 0) + 1;
  }
  return { scenarios, undefinedSteps, ambiguousSteps };
}
