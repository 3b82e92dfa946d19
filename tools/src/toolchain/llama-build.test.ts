import { describe, expect, it } from 'vitest';
import {
  CUDA_ARCHITECTURES,
  NO_AMX_FLAGS,
  cmakeConfigureArgs,
  cudaArchitectures,
} from './llama-build.js';

describe('ORCH-3120: llama-server build flavours', () => {
  it('cuda: GGML_CUDA=ON and SASS for Hopper (90) among the listed architectures', () => {
    const args = cmakeConfigureArgs('cuda', true);
    expect(args.slice(0, 2)).toEqual(['-G', 'Ninja']);
    expect(args).toContain('-DGGML_CUDA=ON');
    expect(args).toContain(`-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHITECTURES}`);
    const archs = CUDA_ARCHITECTURES.split(';');
    expect(archs).toContain('90-real');
    // CUDA 13 has no Maxwell/Pascal/Volta targets: listing one would break the configure.
    for (const a of archs) expect(Number.parseInt(a, 10)).toBeGreaterThanOrEqual(75);
  });

  it('cpu: GGML_CUDA=OFF and no CUDA architectures (CPU carve-out, ORCH-1101)', () => {
    const args = cmakeConfigureArgs('cpu', false);
    expect(args).toContain('-DGGML_CUDA=OFF');
    expect(args.some((a) => a.startsWith('-DCMAKE_CUDA_ARCHITECTURES'))).toBe(false);
    expect(args).not.toContain('Ninja');
  });

  it('x86-64: no AMX kernels (they segfault on some AMX VMs); other architectures get no x86 flags', () => {
    for (const flavour of ['cpu', 'cuda'] as const) {
      const args = cmakeConfigureArgs(flavour, true, CUDA_ARCHITECTURES, 'x64');
      expect(args).toContain(`-DCMAKE_C_FLAGS=${NO_AMX_FLAGS}`);
      expect(args).toContain(`-DCMAKE_CXX_FLAGS=${NO_AMX_FLAGS}`);
    }
    const arm = cmakeConfigureArgs('cpu', true, CUDA_ARCHITECTURES, 'arm64');
    expect(arm.some((a) => a.includes('amx'))).toBe(false);
  });

  it('LLAMA_ORCH_CUDA_ARCHS overrides the list; empty means the default', () => {
    expect(cudaArchitectures({ LLAMA_ORCH_CUDA_ARCHS: '90' })).toBe('90');
    expect(cudaArchitectures({ LLAMA_ORCH_CUDA_ARCHS: ' ' })).toBe(CUDA_ARCHITECTURES);
    expect(cudaArchitectures({})).toBe(CUDA_ARCHITECTURES);
    expect(cmakeConfigureArgs('cuda', false, '90')).toContain('-DCMAKE_CUDA_ARCHITECTURES=90');
  });
});
