import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestBase } from './manifest.js';
import { atomicInstall, readManifest, sha256File } from './manifest.js';

const manifest: ManifestBase = {
  schema: 1,
  tool: 't',
  version: '1',
  installedAt: 'now',
  source: { registry: 'pypi', package: 'p', version: '1', file: 'f.whl', sha256: 'x' },
};

describe('ORCH-5001: cache entries are complete or absent', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'manifest-test-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('ORCH-5001: atomicInstall writes files, then the manifest, then renames into place', async () => {
    const dir = join(root, 't', '1');
    await atomicInstall(dir, async (tmp) => {
      await writeFile(join(tmp, 'bin'), 'x');
      expect(await readManifest(tmp)).toBeUndefined();
      return manifest;
    });
    expect(await readManifest(dir)).toEqual(manifest);
    expect(await readFile(join(dir, 'bin'), 'utf8')).toBe('x');
    expect(await readdir(join(root, 't'))).toEqual(['1']);
  });

  it('ORCH-5001: a failed fill leaves neither the target nor a temp dir behind', async () => {
    const dir = join(root, 't', '1');
    await expect(
      atomicInstall(dir, async () => {
        throw new Error('download failed');
      }),
    ).rejects.toThrow('download failed');
    expect(await readdir(join(root, 't'))).toEqual([]);
    expect(await readManifest(dir)).toBeUndefined();
  });

  it('ORCH-5002: sha256File hashes file contents', async () => {
    const f = join(root, 'f');
    await writeFile(f, 'abc');
    expect(await sha256File(f)).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
