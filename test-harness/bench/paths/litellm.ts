// The peer in the side-by-side bench: the LiteLLM proxy (PyPI `litellm[proxy]`, pinned) in front
// of the same engines, on its OpenAI-compatible POST /v1/completions. The bench creates its venv
// once under the toolchain cache (`<cache>/litellm/<version>/`, a `ready` marker written last so
// an interrupted install is redone) and fails saying what is missing when python3 or PyPI is not
// there (never skips). Each engine is its own model name (`sim-<i>`), so a client pins its stream
// to one engine exactly as the other paths do.
import { execFile } from 'node:child_process';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { cacheRoot } from '@llama-orch/tools';
import type { Supervisor } from '@llama-orch/tools';

const run = promisify(execFile);

/**
 * Pinned. 1.106.12: the newest release whose `proxy` extra resolves on PyPI today (1.108+ pin a
 * `litellm-proxy` package that is not published); 1.107.0 was a compromised release, withdrawn.
 */
export const LITELLM_VERSION = '1.106.12';

async function liteLlmBinary(log: (s: string) => void): Promise<string> {
  const dir = join(cacheRoot(), 'litellm', LITELLM_VERSION);
  const bin = join(dir, 'venv', 'bin', 'litellm');
  const ready = join(dir, 'ready');
  if (await exists(ready)) return bin;
  log(`litellm ${LITELLM_VERSION}: creating the venv in ${dir} (pip, a few minutes once)`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    await run('python3', ['-m', 'venv', join(dir, 'venv')], { timeout: 120_000 });
    await run(
      join(dir, 'venv', 'bin', 'python'),
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '-q',
        `litellm[proxy]==${LITELLM_VERSION}`,
      ],
      { timeout: 900_000, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    throw new Error(
      `cannot install the LiteLLM proxy ${LITELLM_VERSION} (python3 -m venv + pip install 'litellm[proxy]' from PyPI): ${String(error)}`,
    );
  }
  await writeFile(ready, `${new Date().toISOString()}\n`);
  return bin;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

interface LiteLlm {
  readonly url: string;
  /** The model name that reaches engine i. */
  model(i: number): string;
}

/** Starts the proxy (one worker, loopback, no master key: like the stack's auth-off loopback). */
export async function startLiteLlm(
  sup: Supervisor,
  dir: string,
  port: number,
  engines: readonly { url: string; model: string }[],
  log: (s: string) => void,
): Promise<LiteLlm> {
  const bin = await liteLlmBinary(log);
  const config = join(dir, 'litellm.yaml');
  await writeFile(
    config,
    stringify({
      model_list: engines.map((e, i) => ({
        model_name: `sim-${i}`,
        // text-completion-openai: forward to the engine's /v1/completions as is.
        litellm_params: {
          model: `text-completion-openai/${e.model}`,
          api_base: `${e.url}/v1`,
          api_key: 'none',
        },
      })),
      litellm_settings: { telemetry: false },
    }),
  );
  const child = sup.start({
    name: 'litellm',
    cmd: bin,
    args: ['--config', config, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'],
    env: {
      ...process.env,
      // Loopback only, as the stack's auth-off mode: LiteLLM refuses to start keyless otherwise.
      LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY: 'true',
      LITELLM_TELEMETRY: 'False',
      NO_DOCS: 'True',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  void child.exited.then(() => (exited = true));
  // Bounded: up to 180 s (its import alone takes 10-20 s on two busy cores).
  for (let i = 0; i < 360; i++) {
    if (exited) throw new Error(`litellm exited: ${child.tail().join('\n')}`);
    try {
      const res = await fetch(`${url}/health/liveliness`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status === 200) return { url, model: (i) => `sim-${i}` };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`litellm did not answer /health/liveliness in 180 s: ${child.tail().join('\n')}`);
}
