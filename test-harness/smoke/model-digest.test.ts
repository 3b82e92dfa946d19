// Smoke: the model is checksummed before load (ORCH-5002, ORCH-3037); a corrupted copy is refused.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Toolchain } from '@llama-orch/tools';
import { ToolchainError, loadToolchain, verifyModelFile } from '@llama-orch/tools';

describe('ORCH-5002: model_digest is the GGUF sha256 and is verified on every start', () => {
  let tc: Toolchain;
  let tmp: string;
  let fakeRoot: string;

  beforeAll(async () => {
    tc = await loadToolchain();
    tmp = await mkdtemp(join(tmpdir(), 'smoke-model-'));
    // A cache root that is the real one, except for a model file with one flipped byte.
    fakeRoot = join(tmp, 'cache');
    await mkdir(fakeRoot);
    const modelDir = dirname(tc.model.path);
    // Every other cached tool (Envoy, llama-server, the instruct model, ...) stays the real one.
    for (const tool of await readdir(tc.root)) {
      if (tool.startsWith('.') || tool === basename(dirname(modelDir))) continue;
      await symlink(join(tc.root, tool), join(fakeRoot, tool));
    }
    const rel = join(basename(dirname(modelDir)), basename(modelDir));
    await mkdir(join(fakeRoot, rel), { recursive: true });
    await copyFile(join(modelDir, 'manifest.json'), join(fakeRoot, rel, 'manifest.json'));
    const corrupt = join(fakeRoot, rel, basename(tc.model.path));
    await copyFile(tc.model.path, corrupt);
    const fh = await open(corrupt, 'r+');
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, 4096);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await fh.write(byte, 0, 1, 4096);
    await fh.close();
  }, 60_000);

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('ORCH-5002: the recorded digest is sha256:<hex> of the file on disk', async () => {
    const hex = createHash('sha256')
      .update(await readFile(tc.model.path))
      .digest('hex');
    expect(tc.model.sha256).toBe(hex);
    expect(tc.model.digest).toBe(`sha256:${hex}`);
    await expect(verifyModelFile(tc.model.path, tc.model.digest)).resolves.toBe(tc.model.digest);
  }, 30_000);

  it('ORCH-5002: loadToolchain({ verifyModel: true }) refuses a corrupted copy with a clear error', async () => {
    const err = await loadToolchain({ root: fakeRoot, verifyModel: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ToolchainError);
    const te = err as ToolchainError;
    expect(te.code).toBe('MODEL_DIGEST_MISMATCH');
    expect(te.message).toContain('refused');
    expect(te.message).toContain(tc.model.sha256);
    expect(te.fix).toMatch(/bootstrap/);
    // Without verification the same cache loads, so the refusal comes from the digest check.
    await expect(loadToolchain({ root: fakeRoot })).resolves.toBeDefined();
  }, 30_000);
});
