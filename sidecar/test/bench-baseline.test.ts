// The overhead bench's direct-to-engine baseline (test-harness/bench/direct-engine.ts) writes the
// llama-server body by hand, because test-harness cannot import the sidecar (the sidecar's tests
// import test-harness). This test pins the mirror: the baseline must send exactly the body the
// llama.cpp adapter sends for profile v1, or the bench would compare two different requests.
import { completionBody } from '@llama-orch/test-harness/bench/direct-engine';
import { describe, expect, it } from 'vitest';
import { buildCompletionBody } from '../src/adapters/llamacpp/request.js';
import { samplerProfile } from '../src/adapters/llamacpp/sampler-profiles.js';

describe('ORCH-5008: the bench baseline mirrors the sidecar request', () => {
  it('ORCH-3058: direct-engine body equals the adapter body for sampler profile v1', () => {
    const v1 = samplerProfile('v1');
    expect(v1).toBeDefined();
    if (!v1) return;
    const adapter = buildCompletionBody(
      { prompt: 'Once upon a time', maxTokens: 32, seed: 1234, samplerProfile: 'v1' },
      v1,
    );
    expect(completionBody('Once upon a time', 32, 1234)).toEqual(adapter);
  });
});
