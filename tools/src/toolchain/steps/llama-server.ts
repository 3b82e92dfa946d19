// llama-server: built from the llama.cpp git bundle in node-llama-cpp, cached by commit + flavour.
import { access, constants, copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOTSTRAP_HINT, ToolchainError } from '../errors.js';
import { run } from '../exec.js';
import {
  buildJobs,
  buildLlamaServer,
  checkBuildPrerequisites,
  cmakeConfigureArgs,
  cudaArchitectures,
} from '../llama-build.js';
import { packRecordPath, prepareLlamaSource } from '../llama-source.js';
import type { LlamaServerManifest } from '../manifest.js';
import { atomicInstall, readManifest } from '../manifest.js';
import { workDir } from '../paths.js';
import type { Flavour } from '../pins.js';
import { LLAMA_CPP, selectedFlavour } from '../pins.js';
import type { Installed, Step } from './step.js';

const TOOL = 'llama-server';

interface LlamaVersion {
  /** "b<build>-<short commit>", what /props build_info reports (engine_version). */
  buildInfo: string;
  /** The llama.cpp version string when the build prints one (e.g. "0.5.0-dev"), else null. */
  version: string | null;
}

/**
 * Parses `llama-server --version`. Newer builds print "version: 0.5.0-dev (build 1, commit
 * de3ff81)", older ones "version: 6497 (de3ff81)"; both map to build_info "b<build>-<commit>".
 */
export function parseLlamaVersion(out: string): LlamaVersion | undefined {
  const modern = /version:\s*(\S+)\s*\(build\s+(\d+),\s*commit\s+([0-9a-f]+)\)/.exec(out);
  if (modern?.[1] !== undefined && modern[2] !== undefined && modern[3] !== undefined) {
    return { buildInfo: `b${modern[2]}-${modern[3]}`, version: modern[1] };
  }
  const legacy = /version:\s*(\d+)\s*\(([0-9a-f]+)\)/.exec(out);
  if (legacy?.[1] !== undefined && legacy[2] !== undefined) {
    return { buildInfo: `b${legacy[1]}-${legacy[2]}`, version: null };
  }
  return undefined;
}

async function llamaVersion(bin: string): Promise<LlamaVersion> {
  const res = await run(bin, ['--version'], { timeoutMs: 30_000 });
  const out = res.stdout + res.stderr;
  const parsed = parseLlamaVersion(out);
  if (res.code !== 0 || parsed === undefined) {
    throw new ToolchainError(
      'VERIFY_FAILED',
      `${bin} --version gave no build info (exit ${res.code}): ${out.trim().slice(0, 300)}`,
      BOOTSTRAP_HINT,
    );
  }
  return parsed;
}

function flavourLabel(flavour: Flavour): string {
  return flavour === 'cpu'
    ? 'cpu (CI-only carve-out, ORCH-1101: production runs the cuda flavour on NVIDIA GPUs)'
    : 'cuda (NVIDIA GPUs; not runnable on the CI machines)';
}

export const llamaServerStep: Step<LlamaServerManifest> = {
  id: 'llama-server',
  describe: (ctx) =>
    `${LLAMA_CPP.target} from ${LLAMA_CPP.npmName}@${LLAMA_CPP.npmVersion} (npm) git bundle, ` +
    `flavour ${flavourLabel(selectedFlavour(ctx.env))}`,

  async locate(ctx) {
    // The cache key is commit + flavour, and the commit is only known after fetching; so find
    // the install that came from the pinned npm version and flavour.
    const flavour = selectedFlavour(ctx.env);
    let entries: string[];
    try {
      entries = await readdir(join(ctx.root, TOOL));
    } catch {
      return undefined;
    }
    for (const name of entries.filter((e) => e.endsWith(`-${flavour}`)).sort()) {
      const dir = join(ctx.root, TOOL, name);
      const manifest = await readManifest<LlamaServerManifest>(dir);
      // A build counts only when it was configured as a build now would be: e.g. a cuda build
      // for the GPU list asked for now (LLAMA_ORCH_CUDA_ARCHS), or a CPU build from before AMX
      // was left out. The generator (ninja or make) does not matter.
      const wanted = cmakeConfigureArgs(flavour, false, cudaArchitectures(ctx.env));
      const configOk = wanted.every((arg) => manifest?.cmakeArgs.includes(arg) === true);
      if (
        manifest?.source.version === LLAMA_CPP.npmVersion &&
        manifest.flavour === flavour &&
        configOk
      ) {
        return { dir, manifest };
      }
    }
    return undefined;
  },

  async verify(_ctx, { dir, manifest }: Installed<LlamaServerManifest>) {
    const bin = join(dir, manifest.bin);
    try {
      await access(bin, constants.X_OK);
    } catch {
      throw new ToolchainError(
        'TOOLCHAIN_CORRUPT',
        `llama-server missing at ${bin}`,
        BOOTSTRAP_HINT,
      );
    }
    const info = (await llamaVersion(bin)).buildInfo;
    if (info !== manifest.buildInfo || !manifest.commit.startsWith(info.split('-')[1] ?? '?')) {
      throw new ToolchainError(
        'TOOLCHAIN_CORRUPT',
        `${bin} reports ${info}, manifest says ${manifest.buildInfo} (commit ${manifest.commit})`,
        BOOTSTRAP_HINT,
      );
    }
  },

  async install(ctx) {
    const flavour = selectedFlavour(ctx.env);
    checkBuildPrerequisites(flavour);
    const work = workDir(ctx.root, TOOL);
    const src = await prepareLlamaSource(work, ctx.progress);
    const key = `${src.commit.slice(0, 12)}-${flavour}`;
    const buildDir = join(work, `build-${key}`);
    const logFile = join(work, `build-${key}.log`);
    const t0 = performance.now();
    const cmakeArgs = await buildLlamaServer({
      srcDir: src.srcDir,
      buildDir,
      flavour,
      logFile,
      jobs: buildJobs(ctx.env),
      progress: ctx.progress,
      cudaArchs: cudaArchitectures(ctx.env),
    });
    const buildSeconds = Math.round((performance.now() - t0) / 100) / 10;
    const dir = join(ctx.root, TOOL, key);
    const manifest = await atomicInstall<LlamaServerManifest>(dir, async (tmp) => {
      await mkdir(join(tmp, 'bin'));
      const bin = join(tmp, 'bin', TOOL);
      await copyFile(join(buildDir, 'bin', TOOL), bin);
      await copyFile(logFile, join(tmp, 'build.log'));
      const { buildInfo, version } = await llamaVersion(bin);
      ctx.progress.info(
        TOOL,
        `built ${buildInfo} (llama.cpp ${version ?? '?'}) in ${buildSeconds}s`,
      );
      return {
        schema: 1,
        tool: TOOL,
        version: key,
        installedAt: new Date().toISOString(),
        source: {
          registry: 'npm',
          package: LLAMA_CPP.npmName,
          version: LLAMA_CPP.npmVersion,
          file: src.tarball.file.split('/').pop() ?? src.tarball.file,
          sha256: src.tarball.sha256,
        },
        bin: `bin/${TOOL}`,
        commit: src.commit,
        buildInfo,
        llamaCppVersion: version,
        tag: src.tag,
        flavour,
        cmakeArgs,
        buildSeconds,
        buildLog: 'build.log',
      };
    });
    // The clone, build tree and tarball (~250 MB) only serve an interrupted build; drop them
    // so CI caches stay small. The build log was copied into the install dir.
    await Promise.all(
      [buildDir, src.srcDir, logFile, src.tarball.file, packRecordPath(work)].map((p) =>
        rm(p, { recursive: true, force: true }),
      ),
    );
    ctx.progress.info(TOOL, `pruned build inputs from ${work}`);
    return { dir, manifest };
  },
};
