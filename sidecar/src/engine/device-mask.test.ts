import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { llamacppLauncher } from '../adapters/llamacpp/launch.js';
import type { EngineAdapter } from '../adapters/types.js';
import { checkPlacement, DeviceMaskError, maskEnv, parseList } from './device-mask.js';
import { EngineStartError, startSupervisedEngine } from './supervise.js';

describe('ORCH-3011: the engine sees only its device mask', () => {
  it('ORCH-3011: CUDA_VISIBLE_DEVICES lists exactly the mask indices; cpu hides every GPU', () => {
    const base = { PATH: '/bin', CUDA_VISIBLE_DEVICES: '0,1,2,3' };
    expect(maskEnv({ devices: ['cuda:2'] }, base)).toEqual({
      PATH: '/bin',
      CUDA_VISIBLE_DEVICES: '2',
    });
    expect(
      maskEnv({ devices: ['cuda:1', 'cuda:3'], tensorSplit: [1, 1] }, base).CUDA_VISIBLE_DEVICES,
    ).toBe('1,3');
    expect(maskEnv({ devices: ['cpu'] }, base).CUDA_VISIBLE_DEVICES).toBe('');
    expect(base.CUDA_VISIBLE_DEVICES).toBe('0,1,2,3'); // the sidecar's own env is untouched
  });

  it('ORCH-3011: empty, repeated, unknown or mixed cpu/GPU masks are refused', () => {
    for (const devices of [[], ['cuda:0', 'cuda:0'], ['rocm:0'], ['cpu', 'cuda:0']]) {
      expect(() => checkPlacement({ devices })).toThrow(DeviceMaskError);
    }
    expect(parseList(' cuda:0, ,cuda:1 ')).toEqual(['cuda:0', 'cuda:1']);
  });
});

describe('ORCH-3012: more than one GPU only with one explicit ratio per device', () => {
  it('ORCH-3012: a multi-GPU mask without ratios, or with the wrong count, is refused', () => {
    expect(() => checkPlacement({ devices: ['cuda:0', 'cuda:1'] })).toThrow(/tensor_split/);
    expect(() => checkPlacement({ devices: ['cuda:0', 'cuda:1'], tensorSplit: [1] })).toThrow(
      DeviceMaskError,
    );
    expect(() => checkPlacement({ devices: ['cuda:0'], tensorSplit: [1, 1] })).toThrow(
      DeviceMaskError,
    );
    expect(() => checkPlacement({ devices: ['cuda:0', 'cuda:1'], tensorSplit: [1, -1] })).toThrow(
      DeviceMaskError,
    );
    expect(() =>
      checkPlacement({ devices: ['cuda:0', 'cuda:1'], tensorSplit: [3, 1] }),
    ).not.toThrow();
  });
});

describe('ORCH-3001: the supervised engine is launched on the replica mask', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'orch-mask-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // A stand-in engine: answers --help, records its environment and args, then exits.
  async function fakeEngine(): Promise<{ binary: string; modelPath: string; digest: string }> {
    const binary = join(dir, 'fake-engine.sh');
    await writeFile(
      binary,
      [
        '#!/bin/sh',
        'if [ "$1" = "--help" ]; then echo "-sm, --split-mode {none,layer,row}"; exit 0; fi',
        'printf "%s\\n" "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-unset}" "$*" > "$FAKE_OUT"',
        'exit 3',
        '',
      ].join('\n'),
    );
    await chmod(binary, 0o755);
    const modelPath = join(dir, 'model.gguf');
    await writeFile(modelPath, 'weights');
    const digest = createHash('sha256').update('weights').digest('hex');
    return { binary, modelPath, digest };
  }

  const adapter = {
    health: () => Promise.resolve({ ready: false, reason: 'loading' }),
  } as unknown as EngineAdapter;

  function launch(
    e: { binary: string; modelPath: string; digest: string },
    placement: { devices?: string[]; tensorSplit?: number[] },
  ): Promise<unknown> {
    return startSupervisedEngine({
      launcher: llamacppLauncher,
      adapter,
      binary: e.binary,
      modelPath: e.modelPath,
      modelDigest: e.digest,
      host: '127.0.0.1',
      port: 1,
      ctx: 512,
      threads: 1,
      batch: 512,
      ubatch: 512,
      healthTimeoutMs: 5_000,
      env: { PATH: process.env.PATH, FAKE_OUT: join(dir, 'out.txt'), CUDA_VISIBLE_DEVICES: '0,1' },
      ...placement,
    });
  }

  it('ORCH-3001: the engine process runs with CUDA_VISIBLE_DEVICES set to the mask and the split flags', async () => {
    const e = await fakeEngine();
    await expect(launch(e, { devices: ['cuda:3'] })).rejects.toBeInstanceOf(EngineStartError);
    const [envLine, argLine] = (await readFile(join(dir, 'out.txt'), 'utf8')).split('\n');
    expect(envLine).toBe('CUDA_VISIBLE_DEVICES=3');
    expect(argLine).toContain('--split-mode none');
  });

  it('ORCH-3001/ORCH-3012: a multi-GPU mask without ratios is refused before anything is spawned', async () => {
    const e = await fakeEngine();
    await expect(launch(e, { devices: ['cuda:0', 'cuda:1'] })).rejects.toBeInstanceOf(
      DeviceMaskError,
    );
    await expect(readFile(join(dir, 'out.txt'), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
