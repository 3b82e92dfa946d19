// The BDD suite in the normal test run: cucumber-js over test-harness/bdd/features against the
// real stack (placement + supervised sidecar with llama-server + Envoy). --strict fails the run on
// any undefined or ambiguous step; a dry run over every feature, @wip included, proves that no
// step of the parked scenarios is undefined either.
import { describe, expect, it } from 'vitest';
import { runCucumber } from './run-cucumber.js';

describe('ORCH-5004: BDD journeys and features (cucumber, --strict)', () => {
  it('ORCH-5004: every step of every feature (incl. @wip) is defined exactly once', async () => {
    const run = await runCucumber({ tags: null, dryRun: true, timeoutMs: 120_000 });
    expect(run.undefinedSteps, run.output).toEqual([]);
    expect(run.ambiguousSteps, run.output).toEqual([]);
    expect(run.code, run.output).toBe(0);
  }, 150_000);

  it('ORCH-2001/2003/2007/3028: journeys and features pass on the real stack (not @wip)', async () => {
    const run = await runCucumber({ timeoutMs: 900_000 });
    expect(run.undefinedSteps, run.output).toEqual([]);
    expect(run.ambiguousSteps, run.output).toEqual([]);
    expect(run.code, run.output).toBe(0);
    expect(run.scenarios.PASSED ?? 0, run.output).toBeGreaterThanOrEqual(33);
    expect(Object.keys(run.scenarios), run.output).toEqual(['PASSED']);
  }, 960_000);
});
