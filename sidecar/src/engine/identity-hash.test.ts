import { describe, expect, it } from 'vitest';
import { identityHash } from './canary.js';

const CANARY = 'a'.repeat(64);
const launch = (port: number, ub: number, model = '/cache/a/model.gguf') => ({
  args: ['-m', model, '--host', '127.0.0.1', '--port', String(port), '-np', '1', '-ub', String(ub)],
});

describe('ORCH-4017: replica-set identity = canary hash + numerics-relevant launch flags', () => {
  it('ORCH-4017: replicas that differ only in port or model path share an identity', () => {
    expect(identityHash(CANARY, launch(8200, 512))).toBe(
      identityHash(CANARY, launch(8201, 512, '/other/cache/model.gguf')),
    );
  });

  it('ORCH-4017/ORCH-3046: a different -ub (same canary tokens) is a different replica set', () => {
    expect(identityHash(CANARY, launch(8200, 512))).not.toBe(identityHash(CANARY, launch(8200, 1)));
  });

  it('ORCH-4017: an engine the sidecar did not launch keeps the bare canary hash', () => {
    expect(identityHash(CANARY)).toBe(CANARY);
  });
});
