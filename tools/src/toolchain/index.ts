export { ensureToolchain } from './ensure.js';
export type { EnsureOptions, EnsureResult, StepReport } from './ensure.js';
export { run as runCommand } from './exec.js';
export type { RunOptions, RunResult } from './exec.js';
export { BOOTSTRAP_HINT, ToolchainError, isToolchainError } from './errors.js';
export type { ToolchainErrorCode } from './errors.js';
export { CUDA_ARCHITECTURES, cmakeConfigureArgs, cudaArchitectures } from './llama-build.js';
export { prepareLlamaSource } from './llama-source.js';
export { createProgress } from './log.js';
export {
  installedModels,
  loadKubeControlPlane,
  loadSchemathesis,
  loadToolchain,
  loadToxiproxy,
} from './load.js';
export type { KubeControlPlane, LoadOptions, Toolchain, ToolchainModel } from './load.js';
export type { ModelManifest, ModelPartProvenance } from './manifest.js';
export { toDigest, verifyModelFile } from './model-digest.js';
export { cacheRoot } from './paths.js';
export {
  ENVOY,
  EXTRA_MODELS_ENV,
  FAST_MODEL_ID,
  INSTRUCT_MODEL_ID,
  LLAMA_CPP,
  MODEL,
  MODEL_CATALOG,
  catalogModel,
  extraModelIds,
  modelRef,
  modelSourceLabel,
  modelWanted,
  selectedFlavour,
} from './pins.js';
export type { CatalogModel, Flavour, ModelPart, ModelSource } from './pins.js';
export { STEPS } from './steps/index.js';
export { ETCD_VERSION, KUBERNETES_VERSION, KUSTOMIZE_VERSION } from './steps/kube-control-plane.js';
export { TOXIPROXY_VERSION } from './steps/toxiproxy.js';
export { SCHEMATHESIS_REQUIREMENTS, SCHEMATHESIS_VERSION } from './steps/schemathesis.js';
export type { Installed, Step, StepContext } from './steps/index.js';
