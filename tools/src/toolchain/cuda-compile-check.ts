// ORCH-3120: proves the cuda flavour's flags on a machine without a GPU or a CUDA install.
// NVIDIA publishes CUDA 13's compiler and libraries as PyPI wheels that all unpack into one
// toolkit tree (`nvidia/cu13/{bin,include,lib,nvvm}`). This check downloads the pinned wheels
// (sha256-checked), configures the pinned llama.cpp source with exactly the toolchain's cuda
// flags (cmakeConfigureArgs('cuda')), compiles a few ggml-cuda objects with nvcc, and reads each
// object's fatbin to prove it carries SASS for every `-real` and PTX for every `-virtual`
// architecture of CMAKE_CUDA_ARCHITECTURES. It links nothing and runs no kernel.
//
//   npm run check:cuda-compile        (nightly job `cuda_compile`; about 1 min warm on 2 cores)
//
// Any missing or altered wheel, a failed configure or compile, or a missing architecture exits 1
// with the reason: never a skip.
import { access, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ToolchainError } from './errors.js';
import { requireCommand, run, runChecked } from './exec.js';
import { cmakeConfigureArgs, cudaArchitectures } from './llama-build.js';
import { prepareLlamaSource } from './llama-source.js';
import { createProgress } from './log.js';
import { sha256File } from './manifest.js';
import { cacheRoot } from './paths.js';
import { pipDownloadWheel } from './wheel.js';

interface CudaWheel {
  pypiName: string;
  version: string;
  /** What it brings to the toolkit tree. */
  role: string;
  sha256: string;
}

/** CUDA 13.0, the release the GPU hosts' nvcc has; every wheel unpacks into nvidia/cu13/. */
export const CUDA_WHEELS: readonly CudaWheel[] = [
  {
    pypiName: 'nvidia-cuda-nvcc',
    version: '13.0.88',
    role: 'nvcc, cudafe++, ptxas, fatbinary, nvlink',
    sha256: '56fe502eb77625a12f25172caa3cdddb4e4c8ba2c8c17dba44b164761b380f03',
  },
  {
    pypiName: 'nvidia-nvvm',
    version: '13.0.88',
    role: 'cicc and libdevice (NVVM)',
    sha256: 'c5f41ffeb6466944a026dfa5317d7d85355c119bbec279205d22f1869d1054e0',
  },
  {
    pypiName: 'nvidia-cuda-crt',
    version: '13.0.88',
    role: 'crt/ host_config and device function headers',
    sha256: '2c8043c7c9e02492716426e9919fc78d2c5b3b2a7a768a88e952676b08aa55a4',
  },
  {
    pypiName: 'nvidia-cuda-runtime',
    version: '13.0.96',
    role: 'cudart headers and libraries',
    sha256: '7f82250d7782aa23b6cfe765ecc7db554bd3c2870c43f3d1821f1d18aebf0548',
  },
  {
    pypiName: 'nvidia-cuda-cccl',
    version: '13.0.85',
    role: 'CCCL (CUB, Thrust, libcu++)',
    sha256: 'e0da7ad981f3a8aff08241b5bfc1af868742a63e2762f53a5171c492ef242649',
  },
  {
    pypiName: 'nvidia-cublas',
    version: '13.1.1.3',
    role: 'cuBLAS headers and libraries',
    sha256: '37936a16db8fe4ac1f065c2139360608a543a09275cb1a1af612e08cfa065436',
  },
];

/** ggml-cuda objects compiled: a small kernel (cuBLAS headers via common.cuh) and a CUB one. */
const CUDA_CHECK_OBJECTS = ['arange.cu.o', 'sum.cu.o'] as const;

interface FatbinEntry {
  kind: 'sass' | 'ptx';
  arch: number;
}

const FATBIN_MAGIC = 0xba55ed50;

/** Entries of the first fatbin in an object file (kind 2 = ELF cubin = SASS, kind 1 = PTX). */
export function parseFatbin(buf: Buffer): FatbinEntry[] {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(FATBIN_MAGIC);
  const at = buf.indexOf(magic);
  if (at < 0) return [];
  const headerSize = buf.readUInt16LE(at + 6);
  const fatSize = Number(buf.readBigUInt64LE(at + 8));
  const entries: FatbinEntry[] = [];
  let p = at + headerSize;
  const end = p + fatSize;
  while (p + 32 <= end) {
    const kind = buf.readUInt16LE(p);
    const entryHeader = buf.readUInt32LE(p + 4);
    const size = Number(buf.readBigUInt64LE(p + 8));
    const arch = buf.readUInt32LE(p + 28);
    if (kind === 1 || kind === 2) entries.push({ kind: kind === 2 ? 'sass' : 'ptx', arch });
    if (entryHeader === 0) break;
    p += entryHeader + size;
  }
  return entries;
}

/** What CMAKE_CUDA_ARCHITECTURES asks for: `90-real` → SASS, `90-virtual` → PTX, `90` → both. */
export function expectedArchs(list: string): { sass: number[]; ptx: number[] } {
  const sass: number[] = [];
  const ptx: number[] = [];
  for (const item of list.split(';').map((s) => s.trim())) {
    const m = /^(\d+)a?(?:-(real|virtual))?$/.exec(item);
    if (m?.[1] === undefined) {
      throw new ToolchainError(
        'CONFIG_INVALID',
        `cannot read CUDA architecture "${item}"`,
        'use CMake form, e.g. 90-real;90-virtual',
      );
    }
    const n = Number(m[1]);
    if (m[2] !== 'virtual') sass.push(n);
    if (m[2] !== 'real') ptx.push(n);
  }
  return { sass: sass.sort((a, b) => a - b), ptx: ptx.sort((a, b) => a - b) };
}

const WHEEL_FIX =
  'these NVIDIA wheels must be on the PyPI mirror; if a version is gone, pin one that is served ' +
  '(same CUDA release for all six) in CUDA_WHEELS (tools/src/toolchain/cuda-compile-check.ts)';

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function fetchWheels(wheelDir: string, log: (m: string) => void): Promise<string[]> {
  await mkdir(wheelDir, { recursive: true });
  const files: string[] = [];
  for (const w of CUDA_WHEELS) {
    const prefix = `${w.pypiName.replace(/-/g, '_')}-${w.version}-`;
    let file = (await readdir(wheelDir)).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
    if (file === undefined || (await sha256File(join(wheelDir, file))) !== w.sha256) {
      log(`pip download ${w.pypiName}==${w.version} (${w.role})`);
      try {
        file = (await pipDownloadWheel(w.pypiName, w.version, wheelDir)).split('/').pop();
      } catch (e) {
        throw new ToolchainError(
          'FETCH_FAILED',
          `CUDA wheel ${w.pypiName}==${w.version} (${w.role}) could not be downloaded: ${(e as Error).message}`,
          WHEEL_FIX,
        );
      }
    }
    const path = join(wheelDir, file ?? '');
    const got = await sha256File(path);
    if (got !== w.sha256) {
      await rm(path, { force: true });
      throw new ToolchainError(
        'TOOLCHAIN_CORRUPT',
        `CUDA wheel ${w.pypiName}==${w.version}: sha256 ${got}, pinned ${w.sha256}`,
        WHEEL_FIX,
      );
    }
    files.push(path);
  }
  return files;
}

const UNPACK_PY = `
import sys, zipfile
out = sys.argv[1]
for whl in sys.argv[2:]:
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            z.extract(info, out)
            mode = info.external_attr >> 16
            if mode:
                import os
                os.chmod(os.path.join(out, info.filename), mode & 0o777)
`;

/** Unpacks the wheels into one toolkit tree; returns its root (the CUDA "home"). */
async function toolkitTree(
  dir: string,
  wheels: string[],
  log: (m: string) => void,
): Promise<string> {
  const home = join(dir, 'nvidia', 'cu13');
  const marker = join(dir, '.unpacked');
  const want = wheels.map((w) => w.split('/').pop()).join('\n');
  if ((await exists(marker)) && (await readFile(marker, 'utf8')) === want) return home;
  await rm(join(dir, 'nvidia'), { recursive: true, force: true });
  log(`unpacking ${wheels.length} wheels into ${home}`);
  const py = requireCommand('python3', 'install Python 3');
  await runChecked('unpack CUDA wheels', py, ['-c', UNPACK_PY, dir, ...wheels], WHEEL_FIX);
  // The wheels ship only versioned sonames; CMake's FindCUDAToolkit looks for the plain names.
  const lib = join(home, 'lib');
  for (const name of ['cudart', 'cublas', 'cublasLt']) {
    await symlink(`lib${name}.so.13`, join(lib, `lib${name}.so`));
  }
  await symlink('lib', join(home, 'lib64'));
  // libcuda.so is the GPU driver, shipped with the driver and in no toolkit wheel. ggml-cuda names
  // it (CUDA::cuda_driver) for its link step, which this check never runs: an empty stub lets
  // CMake generate the build; no object is linked against it.
  await mkdir(join(lib, 'stubs'));
  await runChecked(
    'driver stub',
    requireCommand('cc', 'install a C compiler'),
    ['-shared', '-o', join(lib, 'stubs', 'libcuda.so'), '-x', 'c', '/dev/null'],
    'install gcc',
  );
  await writeFile(marker, want);
  return home;
}

interface CudaCheckResult {
  nvccVersion: string;
  cudaArchs: string;
  objects: { name: string; seconds: number; entries: FatbinEntry[] }[];
  configureSeconds: number;
  totalSeconds: number;
}

async function runCudaCompileCheck(env = process.env): Promise<CudaCheckResult> {
  const t0 = performance.now();
  const progress = createProgress((l) => process.stdout.write(l + '\n'));
  const log = (m: string): void => progress.info('cuda-compile-check', m);
  const root = join(cacheRoot(env), 'cuda-wheels');
  const wheels = await fetchWheels(join(root, 'wheels'), log);
  const home = await toolkitTree(join(root, 'toolkit-13.0'), wheels, log);
  const nvcc = join(home, 'bin', 'nvcc');
  const nvccVersion = (await runChecked('nvcc --version', nvcc, ['--version'], WHEEL_FIX)).stdout
    .trim()
    .split('\n')
    .filter((l) => l.includes('release'))
    .join(' ');
  log(`nvcc from the wheels: ${nvccVersion}`);

  const cmake = requireCommand('cmake', 'install cmake >= 3.18');
  const ninja = requireCommand('ninja', 'install ninja (e.g. `apt-get install ninja-build`)');
  const src = await prepareLlamaSource(join(root, 'llama'), progress);
  const buildDir = join(root, 'llama', `build-cuda-${src.commit.slice(0, 12)}`);
  const archs = cudaArchitectures(env);
  const args = [
    ...cmakeConfigureArgs('cuda', true, archs),
    `-DCMAKE_CUDA_COMPILER=${nvcc}`,
    `-DCUDAToolkit_ROOT=${home}`,
  ];
  const pathEnv = { ...env, PATH: `${join(home, 'bin')}:${env.PATH ?? ''}` };
  log(`cmake configure: ${args.join(' ')}`);
  const tc = performance.now();
  const conf = await run(cmake, ['-S', src.srcDir, '-B', buildDir, ...args], { env: pathEnv });
  const configureSeconds = (performance.now() - tc) / 1000;
  if (conf.code !== 0) {
    throw new ToolchainError(
      'BUILD_FAILED',
      `cmake configure with the cuda flags failed:\n${(conf.stdout + conf.stderr).split('\n').slice(-25).join('\n')}`,
      'the flags in cmakeConfigureArgs(cuda) or CUDA_ARCHITECTURES do not suit this llama.cpp / CUDA',
    );
  }
  const cache = await readFile(join(buildDir, 'CMakeCache.txt'), 'utf8');
  const lines = cache.split('\n');
  for (const [key, value] of [
    ['GGML_CUDA', 'ON'],
    ['CMAKE_CUDA_ARCHITECTURES', archs],
  ] as const) {
    const want = `${key}=${value}`;
    if (!lines.some((l) => l.startsWith(`${key}:`) && l.endsWith(`=${value}`))) {
      throw new ToolchainError(
        'BUILD_FAILED',
        `CMakeCache.txt lacks ${want}`,
        'see the configure log',
      );
    }
  }
  log(
    `configured in ${configureSeconds.toFixed(1)} s: GGML_CUDA=ON, CMAKE_CUDA_ARCHITECTURES=${archs}`,
  );

  const expected = expectedArchs(archs);
  const objects: CudaCheckResult['objects'] = [];
  for (const name of CUDA_CHECK_OBJECTS) {
    const target = `ggml/src/ggml-cuda/CMakeFiles/ggml-cuda.dir/${name}`;
    // Always compile afresh: an up-to-date object from an earlier run would prove nothing.
    await rm(join(buildDir, target), { force: true });
    const to = performance.now();
    const res = await run('nice', [ninja, '-C', buildDir, '-j1', target], { env: pathEnv });
    if (res.code !== 0) {
      throw new ToolchainError(
        'BUILD_FAILED',
        `nvcc failed on ${name}:\n${(res.stdout + res.stderr).split('\n').slice(-25).join('\n')}`,
        'the CUDA flags or the wheel toolkit do not compile ggml-cuda',
      );
    }
    const seconds = (performance.now() - to) / 1000;
    const entries = parseFatbin(await readFile(join(buildDir, target)));
    const sass = entries.filter((e) => e.kind === 'sass').map((e) => e.arch);
    const ptx = entries.filter((e) => e.kind === 'ptx').map((e) => e.arch);
    const missing = [
      ...expected.sass.filter((a) => !sass.includes(a)).map((a) => `SASS sm_${a}`),
      ...expected.ptx.filter((a) => !ptx.includes(a)).map((a) => `PTX compute_${a}`),
    ];
    if (missing.length > 0) {
      throw new ToolchainError(
        'BUILD_FAILED',
        `${name} lacks ${missing.join(', ')} (fatbin holds ${JSON.stringify(entries)})`,
        'CMAKE_CUDA_ARCHITECTURES did not reach nvcc',
      );
    }
    log(
      `${name}: compiled in ${seconds.toFixed(1)} s; fatbin SASS sm_${sass.join(', sm_')}; PTX compute_${ptx.join(', compute_')}`,
    );
    objects.push({ name, seconds, entries });
  }
  return {
    nvccVersion,
    cudaArchs: archs,
    objects,
    configureSeconds,
    totalSeconds: (performance.now() - t0) / 1000,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runCudaCompileCheck().then(
    (r) => {
      console.log(
        `cuda-compile-check: PROVED with ${r.nvccVersion}: the pinned llama.cpp configures with ` +
          `GGML_CUDA=ON and CMAKE_CUDA_ARCHITECTURES=${r.cudaArchs}, and nvcc compiles ` +
          `${r.objects.map((o) => o.name).join(', ')} into SASS + PTX for every listed architecture ` +
          `(${r.totalSeconds.toFixed(0)} s). Not proved here: linking llama-server, running a kernel ` +
          `(no GPU; see test-harness/gpu/README.md).`,
      );
    },
    (e: unknown) => {
      console.error(`cuda-compile-check: FAILED: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
