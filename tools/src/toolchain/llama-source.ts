// llama.cpp source: the git bundle inside the pinned node-llama-cpp npm tarball.
// `npm pack` fetches the tarball (integrity-checked by npm) without installing or running scripts.
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ToolchainError } from './errors.js';
import { requireCommand, run, runChecked } from './exec.js';
import type { Progress } from './log.js';
import { sha256File } from './manifest.js';
import { LLAMA_CPP } from './pins.js';

interface PackedTarball {
  file: string;
  sha256: string;
  /** npm's integrity string (sha512) from `npm pack --json`. */
  integrity: string;
}

interface LlamaSource {
  tarball: PackedTarball;
  commit: string;
  srcDir: string;
  /** `git describe --tags`, or null when the bundle carries no tags. */
  tag: string | null;
}

const GIT_FIX = 'install git (e.g. `apt-get install git`)';
const NPM_FIX = 'npm ships with Node 20+; make sure the npm registry is reachable';

/** Where the result of `npm pack` is recorded, so a resumed bootstrap can reuse the tarball. */
export function packRecordPath(work: string): string {
  return join(work, `${LLAMA_CPP.npmName}-${LLAMA_CPP.npmVersion}.pack.json`);
}

/** npm pack, reusing a previous tarball in `work` when its recorded sha256 still matches. */
async function packTarball(work: string, progress: Progress): Promise<PackedTarball> {
  const spec = `${LLAMA_CPP.npmName}@${LLAMA_CPP.npmVersion}`;
  const record = packRecordPath(work);
  try {
    const prev = JSON.parse(await readFile(record, 'utf8')) as PackedTarball;
    if ((await sha256File(prev.file)) === prev.sha256) {
      progress.info('llama-server', `reusing ${spec} tarball from an earlier run`);
      return prev;
    }
  } catch {
    // nothing reusable; pack afresh
  }
  progress.info('llama-server', `npm pack ${spec} (no install, no scripts)`);
  const npm = requireCommand('npm', NPM_FIX);
  const res = await runChecked(
    `npm pack ${spec}`,
    npm,
    ['pack', spec, '--ignore-scripts', '--json', '--pack-destination', work],
    NPM_FIX,
  );
  const info = (JSON.parse(res.stdout) as { filename: string; integrity: string }[])[0];
  if (info === undefined) {
    throw new ToolchainError('FETCH_FAILED', `npm pack ${spec} printed no result`, NPM_FIX);
  }
  const file = join(work, info.filename);
  const packed = { file, sha256: await sha256File(file), integrity: info.integrity };
  await writeFile(record, JSON.stringify(packed, null, 2));
  return packed;
}

async function bundleHead(git: string, bundle: string): Promise<string> {
  const res = await runChecked(
    'git bundle list-heads',
    git,
    ['bundle', 'list-heads', bundle],
    GIT_FIX,
  );
  const head = res.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((p) => p[1] === 'HEAD' || p[1]?.startsWith('refs/'));
  if (head?.[0] === undefined || !/^[0-9a-f]{40}$/.test(head[0])) {
    throw new ToolchainError(
      'FETCH_FAILED',
      `cannot read HEAD of ${bundle}: ${res.stdout}`,
      'the node-llama-cpp tarball layout changed; update LLAMA_CPP in tools/src/toolchain/pins.ts',
    );
  }
  return head[0];
}

/** Fetches the tarball, extracts the bundle, clones it (reusing a matching clone). */
export async function prepareLlamaSource(work: string, progress: Progress): Promise<LlamaSource> {
  const git = requireCommand('git', GIT_FIX);
  const tar = requireCommand('tar', 'install tar');
  await mkdir(work, { recursive: true });
  const tarball = await packTarball(work, progress);
  const extractDir = join(work, 'pkg');
  await rm(extractDir, { recursive: true, force: true });
  await mkdir(extractDir);
  await runChecked(
    'extract git bundle',
    tar,
    ['-xzf', tarball.file, '-C', extractDir, LLAMA_CPP.bundleMember],
    'the tarball is corrupt; delete it and re-run `npm run bootstrap`',
  );
  const bundle = join(extractDir, LLAMA_CPP.bundleMember);
  const commit = await bundleHead(git, bundle);
  progress.info('llama-server', `bundle HEAD is ${commit}`);

  const srcDir = join(work, `src-${commit.slice(0, 12)}`);
  const existing = await run(git, ['-C', srcDir, 'rev-parse', 'HEAD']).catch(() => undefined);
  if (existing?.code === 0 && existing.stdout.trim() === commit) {
    progress.info('llama-server', `reusing clone ${srcDir}`);
  } else {
    await rm(srcDir, { recursive: true, force: true });
    progress.info('llama-server', `git clone bundle -> ${srcDir}`);
    await runChecked(
      'git clone bundle',
      git,
      ['clone', '-q', '-c', 'advice.detachedHead=false', bundle, srcDir],
      GIT_FIX,
    );
  }
  const described = await run(git, ['-C', srcDir, 'describe', '--tags']);
  const tag = described.code === 0 ? described.stdout.trim() : null;
  await access(join(srcDir, 'CMakeLists.txt'));
  // The bundle is large; the clone holds everything we need.
  await rm(extractDir, { recursive: true, force: true });
  return { tarball, commit, srcDir, tag };
}
