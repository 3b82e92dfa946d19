import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureToolchain } from './ensure.js';
import { ToolchainError } from './errors.js';
import { silentProgress } from './log.js';
import type { ManifestBase } from './manifest.js';
import type { Installed, Step } from './steps/step.js';

interface FakeState {
  installed: boolean;
  healthy: boolean;
  installs: number;
  failInstall?: boolean;
}

function fakeStep(id: string, s: FakeState): Step {
  const inst = (root: string): Installed<ManifestBase> => ({
    dir: join(root, id),
    manifest: {
      schema: 1,
      tool: id,
      version: '1',
      installedAt: 'now',
      source: { registry: 'npm', package: id, version: '1', file: 'f', sha256: 'x' },
    },
  });
  return {
    id,
    describe: () => `${id} fake`,
    locate: async (ctx) => (s.installed ? inst(ctx.root) : undefined),
    verify: async () => {
      if (!s.healthy) throw new ToolchainError('TOOLCHAIN_CORRUPT', `${id} broken`, 'reinstall');
    },
    install: async (ctx) => {
      s.installs++;
      if (s.failInstall === true)
        throw new ToolchainError('FETCH_FAILED', `${id} offline`, 'retry');
      s.installed = true;
      s.healthy = true;
      return inst(ctx.root);
    },
  };
}

describe('ORCH-5001: ensureToolchain is idempotent', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ensure-test-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('ORCH-5001: installs on a cold cache, then only verifies on a warm one', async () => {
    const s: FakeState = { installed: false, healthy: false, installs: 0 };
    const steps = [fakeStep('a', s)];
    const cold = await ensureToolchain({ root, steps, progress: silentProgress });
    expect(cold.steps.map((r) => r.action)).toEqual(['installed']);
    const warm = await ensureToolchain({ root, steps, progress: silentProgress });
    expect(warm.steps.map((r) => r.action)).toEqual(['cached']);
    expect(s.installs).toBe(1);
  });

  it('ORCH-5001: a cached install that fails verification is reinstalled', async () => {
    const s: FakeState = { installed: true, healthy: false, installs: 0 };
    const res = await ensureToolchain({
      root,
      steps: [fakeStep('a', s)],
      progress: silentProgress,
    });
    expect(res.steps[0]?.action).toBe('installed');
    expect(s.installs).toBe(1);
  });

  it('ORCH-5001: an opt-in step that is not wanted is skipped, not installed', async () => {
    const s: FakeState = { installed: false, healthy: false, installs: 0 };
    const step = { ...fakeStep('extra', s), wanted: () => false };
    const res = await ensureToolchain({ root, steps: [step], progress: silentProgress });
    expect(res.steps.map((r) => r.action)).toEqual(['skipped']);
    expect(s.installs).toBe(0);
  });

  it('ORCH-5001: an unknown id in LLAMA_ORCH_EXTRA_MODELS fails before any step runs', async () => {
    const s: FakeState = { installed: false, healthy: false, installs: 0 };
    const env = { LLAMA_ORCH_EXTRA_MODELS: 'no-such-model' };
    await expect(
      ensureToolchain({ root, env, steps: [fakeStep('a', s)], progress: silentProgress }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(s.installs).toBe(0);
  });

  it('ORCH-5001: a failing step stops the bootstrap with its typed error and releases the lock', async () => {
    const bad: FakeState = { installed: false, healthy: false, installs: 0, failInstall: true };
    const later: FakeState = { installed: false, healthy: false, installs: 0 };
    const steps = [fakeStep('bad', bad), fakeStep('later', later)];
    await expect(ensureToolchain({ root, steps, progress: silentProgress })).rejects.toMatchObject({
      code: 'FETCH_FAILED',
    });
    expect(later.installs).toBe(0);
    // The lock is gone: a second run proceeds (and fails the same way) instead of waiting.
    await expect(ensureToolchain({ root, steps, progress: silentProgress })).rejects.toThrow(
      /offline/,
    );
  });
});
