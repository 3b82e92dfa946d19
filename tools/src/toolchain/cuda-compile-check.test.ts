import { describe, expect, it } from 'vitest';
import { CUDA_WHEELS, expectedArchs, parseFatbin } from './cuda-compile-check.js';
import { CUDA_ARCHITECTURES } from './llama-build.js';

/** A fatbin as nvcc lays it out: 16-byte header, then entries (kind, header size, size, arch). */
function fatbin(entries: { kind: 1 | 2; arch: number; size: number }[]): Buffer {
  const parts = entries.map((e) => {
    const h = Buffer.alloc(64 + e.size);
    h.writeUInt16LE(e.kind, 0);
    h.writeUInt32LE(64, 4);
    h.writeBigUInt64LE(BigInt(e.size), 8);
    h.writeUInt32LE(e.arch, 28);
    return h;
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(16);
  head.writeUInt32LE(0xba55ed50, 0);
  head.writeUInt16LE(1, 4);
  head.writeUInt16LE(16, 6);
  head.writeBigUInt64LE(BigInt(body.length), 8);
  return Buffer.concat([Buffer.from('ELF object bytes before the section'), head, body]);
}

describe('ORCH-3120: the CUDA compile check reads what nvcc embedded', () => {
  it('parseFatbin lists SASS (ELF) and PTX entries with their architectures', () => {
    const buf = fatbin([
      { kind: 2, arch: 75, size: 10 },
      { kind: 2, arch: 90, size: 7 },
      { kind: 1, arch: 90, size: 3 },
    ]);
    expect(parseFatbin(buf)).toEqual([
      { kind: 'sass', arch: 75 },
      { kind: 'sass', arch: 90 },
      { kind: 'ptx', arch: 90 },
    ]);
    expect(parseFatbin(Buffer.from('no fatbin here'))).toEqual([]);
  });

  it('expectedArchs maps -real to SASS, -virtual to PTX and a bare number to both', () => {
    expect(expectedArchs(CUDA_ARCHITECTURES)).toEqual({ sass: [75, 80, 86, 89, 90], ptx: [90] });
    expect(expectedArchs('90')).toEqual({ sass: [90], ptx: [90] });
    expect(() => expectedArchs('sm_90')).toThrow(/cannot read CUDA architecture/);
  });

  it('pins one CUDA release: every wheel is 13.0.x (cuBLAS 13.1 ships with CUDA 13.0)', () => {
    for (const w of CUDA_WHEELS) {
      expect(w.sha256).toMatch(/^[0-9a-f]{64}$/);
      if (w.pypiName !== 'nvidia-cublas') expect(w.version).toMatch(/^13\.0\./);
    }
  });
});
