import { describe, expect, it } from 'vitest';
import { realEngineProblems, type ReplicaView } from './real-engine.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const real: ReplicaView = {
  replica_id: 'pool-0',
  engine: 'llamacpp',
  engine_version: 'b1-de3ff81',
  model_digest: DIGEST,
  ready: true,
};

describe('ORCH-5006: REQUIRE_REAL_LLAMA evidence check', () => {
  it('ORCH-5006: a llama.cpp replica with the verified digest passes', () => {
    expect(
      realEngineProblems({ replicas: [real], capabilityFeatures: [], expectedModelDigest: DIGEST }),
    ).toEqual([]);
  });

  it('ORCH-5006: mock engine, simulated feature, odd version, other digest, no replica are refused', () => {
    const problems = realEngineProblems({
      replicas: [
        { ...real, engine: 'vllm' },
        { ...real, replica_id: 'pool-1', engine_version: 'mock-1.0' },
        { ...real, replica_id: 'pool-2', model_digest: `sha256:${'cd'.repeat(32)}` },
      ],
      capabilityFeatures: ['seed', 'simulated'],
      expectedModelDigest: DIGEST,
    });
    expect(problems).toHaveLength(4);
    expect(
      realEngineProblems({ replicas: [], capabilityFeatures: [], expectedModelDigest: DIGEST }),
    ).toEqual(['no replica is registered']);
  });
});
