// promtool and prometheus from the bootstrapped toolchain (Debian package `prometheus`).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { STEPS, cacheRoot } from '@llama-orch/tools';

export interface PromBins {
  prometheus: string;
  promtool: string;
}

export async function loadPromBins(): Promise<PromBins> {
  const step = STEPS.find((s) => s.id === 'prometheus');
  const progress = { info: () => undefined, warn: () => undefined, elapsed: () => 0 };
  const found = await step?.locate({ root: cacheRoot(), env: process.env, progress });
  if (!found) throw new Error('prometheus is not bootstrapped: run `npm run bootstrap`');
  return {
    prometheus: join(found.dir, 'bin/prometheus'),
    promtool: join(found.dir, 'bin/promtool'),
  };
}

interface ToolResult {
  code: number;
  output: string;
}

/** Runs a tool with `input` on stdin (bounded in time); never throws on a non-zero exit. */
export function runTool(
  bin: string,
  args: string[],
  input = '',
  timeoutMs = 60_000,
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
    child.stdin.end(input);
  });
}

interface LintProblem {
  metric: string;
  text: string;
}

/** `promtool check metrics`: exit 0 (clean) or 3 (lint problems, one per line). */
export async function checkMetrics(promtool: string, text: string): Promise<LintProblem[]> {
  const r = await runTool(promtool, ['check', 'metrics'], text);
  if (r.code !== 0 && r.code !== 3)
    throw new Error(`promtool check metrics failed (${r.code}): ${r.output}`);
  const problems = r.output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [metric = '', ...rest] = l.trim().split(' ');
      return { metric, text: rest.join(' ') };
    });
  if (r.code === 3 && problems.length === 0) throw new Error('promtool exit 3 without problems');
  return problems;
}
