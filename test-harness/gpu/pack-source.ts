// Packs the pinned llama.cpp source (the git bundle in node-llama-cpp, as the toolchain builds it)
// into test-harness/gpu/.work/llama-src.tar.gz for a GPU host that has no registry access. Only
// what the llama-server build needs travels (models, docs, tests and examples stay
// behind), so the archive fits the device tool's 64 MiB carry limit. The commit goes along in
// LLAMA_COMMIT, since the archive has no .git (llama-server then reports commit "unknown").
//
//   npx tsx test-harness/gpu/pack-source.ts
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, createProgress, prepareLlamaSource, runCommand } from '@llama-orch/tools';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '.work');
const OUT = join(OUT_DIR, 'llama-src.tar.gz');
/** Not needed to configure and build llama-server (LLAMA_BUILD_TESTS/EXAMPLES/UI are OFF). */
const LEFT_OUT = ['models', 'docs', 'tests', 'examples', 'benches', 'pocs', '.github'];

async function main(): Promise<void> {
  const progress = createProgress((l) => process.stdout.write(l + '\n'));
  const src = await prepareLlamaSource(join(cacheRoot(), 'gpu-device', 'llama'), progress);
  await writeFile(join(src.srcDir, 'LLAMA_COMMIT'), `${src.commit}\n`);
  await mkdir(OUT_DIR, { recursive: true });
  const res = await runCommand('tar', [
    '-czf',
    OUT,
    '-C',
    src.srcDir,
    '--exclude=.git',
    ...LEFT_OUT.map((d) => `--exclude=./${d}`),
    '.',
  ]);
  if (res.code !== 0) throw new Error(`tar failed: ${res.stderr}`);
  const bytes = (await stat(OUT)).size;
  console.log(`packed llama.cpp ${src.commit} into ${OUT} (${(bytes / 2 ** 20).toFixed(1)} MiB)`);
  if (bytes > 48 * 2 ** 20) throw new Error('the archive is too big for the device carry limit');
}

await main();
