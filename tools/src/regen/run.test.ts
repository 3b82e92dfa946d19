import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshot, snapshotDiff } from './run.js';
import { isAvailable, regenSteps } from './steps.js';

const dir = mkdtempSync(join(tmpdir(), 'regen-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ORCH-5005: regen steps and the determinism check', () => {
  it('ORCH-5005: steps run proto, OpenAPI types, config schema, dashboards, the consumer pact, then spec-extract', () => {
    const steps = regenSteps(dir);
    expect(steps.map((s) => s.outputs[0])).toEqual([
      'proto/src/generated',
      'contracts/src/generated/data.ts',
      'contracts/src/generated/control.ts',
      'contracts/schemas/config.schema.json',
      'ci/dashboards/grafana',
      'contracts/pacts/orchctl-llama-orch-gateway.json',
      'requirements',
    ]);
    // Only the pact step writes on purpose (env) and is left to its own test by --check.
    const pact = steps.find((s) => s.outputs[0]?.startsWith('contracts/pacts/'));
    expect(pact?.env).toEqual({ LLAMA_ORCH_PACT_WRITE: '1' });
    expect(steps.filter((s) => s.checkedBy !== undefined)).toEqual([pact]);
    const spec = steps.at(-1);
    expect(spec && isAvailable(dir, spec)).toBe(false);
    mkdirSync(join(dir, 'tools/src/spec-extract'), { recursive: true });
    writeFileSync(join(dir, 'tools/src/spec-extract/cli.ts'), '');
    expect(spec && isAvailable(dir, spec)).toBe(true);
  });

  it('ORCH-5005: snapshotDiff reports changed, added and removed files', () => {
    mkdirSync(join(dir, 'out/sub'), { recursive: true });
    writeFileSync(join(dir, 'out/a.ts'), 'a');
    writeFileSync(join(dir, 'out/sub/b.ts'), 'b');
    const before = snapshot(dir, ['out', 'missing']);
    expect([...before.keys()]).toEqual(['out/a.ts', 'out/sub/b.ts']);
    writeFileSync(join(dir, 'out/a.ts'), 'a2');
    rmSync(join(dir, 'out/sub/b.ts'));
    writeFileSync(join(dir, 'out/c.ts'), 'c');
    expect(snapshotDiff(before, snapshot(dir, ['out']))).toEqual([
      'out/a.ts',
      'out/c.ts',
      'out/sub/b.ts',
    ]);
    expect(snapshotDiff(before, before)).toEqual([]);
  });
});
