// The supervised sim's model file (model-file.ts) and the faults it selects, at the HTTP level.
import { afterEach, describe, expect, it } from 'vitest';
import { parseSimModel, sha256Hex, simModelText } from './model-file.js';
import { startEngineSim, type EngineSim } from './server.js';

let sim: EngineSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const parse = (name: string, text: string, env = '') =>
  parseSimModel(`/m/${name}.gguf`, Buffer.from(text), env);

describe('ORCH-3049: engine-sim model files', () => {
  it('ORCH-3049: the seed follows the file bytes; directives in the file and the env select faults', () => {
    const a = parse('a', simModelText('a'));
    const b = parse('b', simModelText('b'));
    expect(a.name).toBe('a');
    expect(a.seed).not.toBe(b.seed);
    expect(parse('a', simModelText('a')).seed).toBe(a.seed);
    expect(sha256Hex(simModelText('a'))).not.toBe(sha256Hex(simModelText('b')));
    const bad = parse(
      'x',
      simModelText('x', ['no-decode', 'ignore-cancel', 'crash-after-ms=250', 'startup-ms=40']),
      'garbage-telemetry,exit-at-start',
    );
    expect(bad.faults).toMatchObject({
      noDecode: true,
      ignoreCancel: true,
      telemetry: 'garbage',
    });
    expect(bad).toMatchObject({ crashAfterMs: 250, startupMs: 40, exitAtStart: true });
    expect(() => parse('y', '#sim explode\n')).toThrow(/unknown engine-sim directive explode/);
  });

  it('ORCH-3049: noDecode answers completions 500; telemetry missing → 404, garbage → not Prometheus', async () => {
    sim = await startEngineSim({ faults: { noDecode: true, telemetry: 'missing' } });
    const c = await fetch(`${sim.url}/completion`, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'hi', n_predict: 2 }),
    });
    expect(c.status).toBe(500);
    expect((await fetch(`${sim.url}/metrics`)).status).toBe(404);
    sim.setFaults({ telemetry: 'garbage' });
    const m = await fetch(`${sim.url}/metrics`);
    expect(m.status).toBe(200);
    expect(await m.text()).not.toContain('llamacpp:');
    sim.setFaults({});
    expect(await (await fetch(`${sim.url}/metrics`)).text()).toContain(
      'llamacpp:tokens_predicted_total',
    );
  });
});
