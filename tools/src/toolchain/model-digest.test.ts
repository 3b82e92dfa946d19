import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyModelFile } from './model-digest.js';

const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('ORCH-5002: verifyModelFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'digest-test-'));
    await writeFile(join(dir, 'm.gguf'), 'abc');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ORCH-5002: accepts sha256:<hex> and bare hex, returns the digest', async () => {
    await expect(verifyModelFile(join(dir, 'm.gguf'), `sha256:${ABC}`)).resolves.toBe(
      `sha256:${ABC}`,
    );
    await expect(verifyModelFile(join(dir, 'm.gguf'), ABC)).resolves.toBe(`sha256:${ABC}`);
  });

  it('ORCH-5002: refuses a mismatch with MODEL_DIGEST_MISMATCH naming both digests and the fix', async () => {
    const wrong = '0'.repeat(64);
    await expect(verifyModelFile(join(dir, 'm.gguf'), wrong)).rejects.toMatchObject({
      code: 'MODEL_DIGEST_MISMATCH',
      message: expect.stringContaining(ABC) as unknown,
      fix: expect.stringContaining('bootstrap') as unknown,
    });
  });

  it('ORCH-5002: a missing file is TOOLCHAIN_MISSING, not a crash', async () => {
    await expect(verifyModelFile(join(dir, 'nope.gguf'), ABC)).rejects.toMatchObject({
      code: 'TOOLCHAIN_MISSING',
    });
  });
});
