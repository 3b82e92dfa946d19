// The official `openai` Python SDK for the OpenAI E2E (ORCH-3103): a venv the test creates once,
// pinned, cached under the toolchain cache (`<cache>/python-openai/<version>/`) and installed from
// PyPI with pip. A cache entry counts only once its `ready` marker exists, so an interrupted
// install is redone rather than half-used. Fails with a message (never skips) when python3 or
// PyPI is unavailable.
import { execFile } from 'node:child_process';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot } from '@llama-orch/tools';

const run = promisify(execFile);

/** Pinned: the SDK version the suite was written and checked against. */
const PYTHON_OPENAI_VERSION = '3.63.0';

export async function pythonOpenAi(log: (s: string) => void = () => undefined): Promise<string> {
  const dir = join(cacheRoot(), 'python-openai', PYTHON_OPENAI_VERSION);
  const python = join(dir, 'venv', 'bin', 'python');
  const ready = join(dir, 'ready');
  if (await exists(ready)) return python;
  log(`python openai ${PYTHON_OPENAI_VERSION}: creating the venv in ${dir}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    await run('python3', ['-m', 'venv', join(dir, 'venv')], { timeout: 120_000 });
    await run(
      python,
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '-q',
        `openai==${PYTHON_OPENAI_VERSION}`,
      ],
      { timeout: 300_000 },
    );
  } catch (error) {
    throw new Error(
      `cannot install the openai Python SDK ${PYTHON_OPENAI_VERSION} (python3 -m venv + pip from PyPI): ${String(error)}`,
    );
  }
  await writeFile(ready, `${new Date().toISOString()}\n`);
  return python;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs a Python SDK script with the base URL and key in its environment; returns its JSON. */
export async function runPythonSdk(
  python: string,
  script: string,
  env: Record<string, string>,
  timeoutMs = 180_000,
): Promise<unknown> {
  try {
    const { stdout } = await run(python, [script], {
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      maxBuffer: 4 * 1024 * 1024,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null');
  } catch (error) {
    const e = error as { stderr?: string; message?: string };
    throw new Error(`python SDK script failed: ${e.message ?? ''}\n${e.stderr ?? ''}`);
  }
}
