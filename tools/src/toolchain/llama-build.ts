// cmake build of the llama-server target only, with percent progress lines instead of a
// compiler-output flood; the full output goes to a log file kept for post-mortems.
import { appendFile, writeFile } from 'node:fs/promises';
import { ToolchainError } from './errors.js';
import { requireCommand, run, which } from './exec.js';
import type { Progress } from './log.js';
import type { Flavour } from './pins.js';
import { LLAMA_CPP } from './pins.js';

/**
 * GPUs the `cuda` flavour compiles for (ORCH-3120): SASS for Turing (75: T4), Ampere (80: A100;
 * 86: A10, RTX 30), Ada (89: L4, L40) and Hopper (90: H100, H200), plus Hopper PTX that newer GPUs
 * JIT-compile. CUDA 13 dropped Maxwell, Pascal and Volta, so none are listed. Override with
 * LLAMA_ORCH_CUDA_ARCHS (e.g. `90` for an H100-only build, about 6x fewer CUDA compilations).
 * test-harness/gpu/gpu_determinism.py carries the same list (gpu-twin.test.ts keeps them equal).
 */
export const CUDA_ARCHITECTURES = '75-real;80-real;86-real;89-real;90-real;90-virtual';

export function cudaArchitectures(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.LLAMA_ORCH_CUDA_ARCHS?.trim();
  return v === undefined || v === '' ? CUDA_ARCHITECTURES : v;
}

/**
 * x86-64 builds leave out ggml's AMX kernels. The build is native (`-march=native`), so on an
 * Intel CPU with AMX (Sapphire Rapids and later) ggml repacks the weights for AMX, and on such a
 * VM llama-server segfaulted in `ggml_backend_amx_mul_mat` at its first decode (llama.cpp issue
 * 20824, machine-dependent, unfixed upstream). GCC keeps an explicit `-mno-*` over what
 * `-march=native` enables, whatever their order. The AVX-512 and VNNI kernels still build.
 */
export const NO_AMX_FLAGS = '-mno-amx-tile -mno-amx-int8 -mno-amx-bf16';

/**
 * Configure flags. CPU is the CI-only carve-out (ORCH-1101); `cuda` is the production flavour
 * for NVIDIA GPUs and needs the CUDA toolkit (nvcc), which these CI machines do not have. A change
 * here rebuilds cached installs: the llama-server step reuses one only when its recorded flags
 * include all of these.
 */
export function cmakeConfigureArgs(
  flavour: Flavour,
  ninja: boolean,
  cudaArchs: string = CUDA_ARCHITECTURES,
  arch: string = process.arch,
): string[] {
  return [
    ...(ninja ? ['-G', 'Ninja'] : []),
    '-DCMAKE_BUILD_TYPE=Release',
    // One self-contained binary: no libllama/libggml .so files to keep beside it.
    '-DBUILD_SHARED_LIBS=OFF',
    '-DLLAMA_CURL=OFF',
    '-DLLAMA_OPENSSL=OFF',
    '-DLLAMA_BUILD_TESTS=OFF',
    '-DLLAMA_BUILD_EXAMPLES=OFF',
    '-DLLAMA_BUILD_TOOLS=ON',
    '-DLLAMA_BUILD_SERVER=ON',
    // The web UI is off at runtime (--no-webui) and its prebuilt copy would be a non-registry download.
    '-DLLAMA_BUILD_UI=OFF',
    '-DLLAMA_USE_PREBUILT_UI=OFF',
    ...(flavour === 'cuda'
      ? ['-DGGML_CUDA=ON', `-DCMAKE_CUDA_ARCHITECTURES=${cudaArchs}`]
      : ['-DGGML_CUDA=OFF']),
    ...(arch === 'x64'
      ? [`-DCMAKE_C_FLAGS=${NO_AMX_FLAGS}`, `-DCMAKE_CXX_FLAGS=${NO_AMX_FLAGS}`]
      : []),
  ];
}

export function buildJobs(env: NodeJS.ProcessEnv): number {
  const n = Number.parseInt(env.LLAMA_ORCH_BUILD_JOBS ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 2;
}

const STEP_RE = /^\[\s*(\d+)\s*\/\s*(\d+)\s*\]/; // ninja: [12/204]
const PCT_RE = /^\[\s*(\d+)%\]/; // make: [ 45%]

/**
 * Fails fast, before any download, when a build tool is missing; returns the cmake path.
 */
export function checkBuildPrerequisites(flavour: Flavour): string {
  const cmake = requireCommand('cmake', 'install cmake >= 3.14 (e.g. `apt-get install cmake`)');
  if (which('c++') === undefined && which('g++') === undefined) {
    requireCommand('g++', 'install a C++17 compiler (e.g. `apt-get install g++`)');
  }
  if (flavour === 'cuda') {
    requireCommand(
      'nvcc',
      'LLAMA_ORCH_GPU=cuda needs the NVIDIA CUDA toolkit (nvcc) on PATH; unset LLAMA_ORCH_GPU for the CPU (CI-only) build',
    );
  }
  return cmake;
}

interface BuildInput {
  srcDir: string;
  buildDir: string;
  flavour: Flavour;
  logFile: string;
  jobs: number;
  progress: Progress;
  /** CMAKE_CUDA_ARCHITECTURES for the cuda flavour (default CUDA_ARCHITECTURES). */
  cudaArchs?: string;
}

export async function buildLlamaServer(input: BuildInput): Promise<string[]> {
  const { srcDir, buildDir, flavour, logFile, jobs, progress } = input;
  const cmake = checkBuildPrerequisites(flavour);
  const ninja = which('ninja') !== undefined;
  const args = cmakeConfigureArgs(flavour, ninja, input.cudaArchs);
  await writeFile(logFile, `# llama-server ${flavour} build\n# cmake ${args.join(' ')}\n`);

  progress.info('llama-server', `cmake configure (${flavour}${ninja ? ', ninja' : ''})`);
  const conf = await run(cmake, ['-S', srcDir, '-B', buildDir, ...args], { logFile });
  if (conf.code !== 0) throw buildError('cmake configure', conf.stdout + conf.stderr, logFile);

  progress.info('llama-server', `cmake --build --target ${LLAMA_CPP.target} -j${jobs}`);
  let lastShown = -1;
  let lastAt = performance.now();
  const onLine = (line: string): void => {
    const s = STEP_RE.exec(line);
    const p = PCT_RE.exec(line);
    let pct: number | undefined;
    let detail = '';
    if (s?.[1] !== undefined && s[2] !== undefined) {
      pct = Math.floor((100 * Number(s[1])) / Number(s[2]));
      detail = ` (${s[1]}/${s[2]})`;
    } else if (p?.[1] !== undefined) {
      pct = Number(p[1]);
    }
    if (pct === undefined) return;
    // One line per 5% step, or at least every 30 s, so CI logs show liveness without noise.
    const stale = performance.now() - lastAt > 30_000;
    if (Math.floor(pct / 5) > Math.floor(lastShown / 5) || stale) {
      lastShown = pct;
      lastAt = performance.now();
      progress.info('llama-server', `build ${pct}%${detail}`);
    }
  };
  const build = await run(
    cmake,
    ['--build', buildDir, '--config', 'Release', '--target', LLAMA_CPP.target, '-j', String(jobs)],
    { logFile, onLine },
  );
  if (build.code !== 0) throw buildError('cmake --build', build.stdout + build.stderr, logFile);
  await appendFile(logFile, '\n# build finished\n');
  return args;
}

function buildError(what: string, output: string, logFile: string): ToolchainError {
  const lines = output.split('\n');
  const errs = lines.filter((l) => /error|Error|CMake Error/.test(l)).slice(-10);
  const shown = (errs.length > 0 ? errs : lines.slice(-10)).join('\n    ');
  return new ToolchainError(
    'BUILD_FAILED',
    `llama-server ${what} failed; full log: ${logFile}\n    ${shown}`,
    'check the log for the missing compiler/library; fix it, then re-run `npm run bootstrap` (the build resumes)',
  );
}
