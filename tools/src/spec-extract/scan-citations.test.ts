import { describe, expect, it } from 'vitest';
import { classify, findIds, isScanned } from './scan-citations.js';
import { fakeId } from './test-fixture.js';

describe('ORCH-5009: citation scanning rules', () => {
  it.each([
    ['core/src/queue/fifo.test.ts', 'test'],
    ['cli/src/pact.spec.ts', 'test'],
    ['test-harness/src/haiku/minute-words.ts', 'test'],
    ['test-harness/bdd/admission.feature', 'test'],
    ['core/src/queue/fifo.ts', 'code'],
    ['contracts/openapi/data.yaml', 'code'],
    ['proto/placement.proto', 'code'],
  ] as const)('ORCH-5009: %s counts as %s', (path, kind) => {
    expect(classify(path)).toBe(kind);
  });

  it.each([
    ['core/src/a.ts', true],
    ['tools/launch.mjs', true],
    ['ci/pipelines.yml', true],
    ['contracts/schemas/config.schema.json', true],
    ['package-lock.json', false],
    ['core/src/types.d.ts', false],
    ['README.md', false],
    ['envoy/envoy.bin', false],
  ] as const)('ORCH-5009: %s scanned=%s', (path, scanned) => {
    expect(isScanned(path)).toBe(scanned);
  });

  it('ORCH-5009: finds whole four-digit IDs only, once each, sorted', () => {
    const [a, b] = [fakeId('9302'), fakeId('9301')];
    const text = `${a} ${b} ${a} X${fakeId('9303')} ${fakeId('93040')} ${a}-DEPR`;
    expect(findIds(text)).toEqual([b, a]);
  });
});
