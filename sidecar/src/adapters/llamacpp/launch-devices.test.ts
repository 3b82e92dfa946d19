import { describe, expect, it } from 'vitest';
import { llamacppLauncher } from './launch.js';

const base = {
  binary: 'llama-server',
  modelPath: '/m.gguf',
  host: '127.0.0.1',
  port: 8201,
  ctx: 2048,
  threads: 2,
  batch: 2048,
  ubatch: 512,
  helpText:
    '-ngl,  --gpu-layers, --n-gpu-layers N\n-sm,   --split-mode {none,layer,row}\n-ts,   --tensor-split N0,N1,N2,...',
};

describe('ORCH-3012: llama-server splits across GPUs only with explicit ratios', () => {
  it('ORCH-3012: a two-GPU mask with ratios → --split-mode layer --tensor-split 0.6,0.4', () => {
    const args = llamacppLauncher.launchArgs({
      ...base,
      devices: ['cuda:0', 'cuda:1'],
      tensorSplit: [0.6, 0.4],
    });
    expect(args.join(' ')).toContain('--split-mode layer --tensor-split 0.6,0.4');
  });

  it('ORCH-3012: a one-GPU mask never splits', () => {
    const args = llamacppLauncher.launchArgs({ ...base, devices: ['cuda:1'] });
    expect(args.join(' ')).toContain('--split-mode none');
    expect(args).not.toContain('--tensor-split');
  });

  it('ORCH-3012: no mask or a cpu mask adds no split flags', () => {
    for (const devices of [undefined, ['cpu']]) {
      const args = llamacppLauncher.launchArgs({ ...base, ...(devices ? { devices } : {}) });
      expect(args).not.toContain('--tensor-split');
      expect(args).not.toContain('--split-mode');
    }
  });
});

describe('ORCH-3011: a GPU replica offloads every layer, pinned', () => {
  it('ORCH-3011: a GPU mask gets -ngl 999; no mask or a cpu mask gets no -ngl', () => {
    for (const devices of [['cuda:0'], ['cuda:0', 'cuda:1']]) {
      const args = llamacppLauncher.launchArgs({ ...base, devices, tensorSplit: [0.5, 0.5] });
      expect(args.join(' ')).toContain('-ngl 999');
    }
    for (const devices of [undefined, ['cpu']]) {
      const args = llamacppLauncher.launchArgs({ ...base, ...(devices ? { devices } : {}) });
      expect(args).not.toContain('-ngl');
    }
  });
});
