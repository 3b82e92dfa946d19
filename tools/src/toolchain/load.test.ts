import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolchainError } from './errors.js';
import { loadToolchain } from './load.js';

describe('ORCH-5001: loadToolchain on an empty cache', () => {
  it('ORCH-5001: throws TOOLCHAIN_MISSING with a "run npm run bootstrap" hint', async () => {
    const root = await mkdtemp(join(tmpdir(), 'load-test-'));
    try {
      const err = await loadToolchain({ root }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolchainError);
      expect((err as ToolchainError).code).toBe('TOOLCHAIN_MISSING');
      expect((err as ToolchainError).fix).toContain('npm run bootstrap');
      expect((err as ToolchainError).message).toContain(root);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
