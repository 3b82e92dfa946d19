import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './load.js';

const minimal = `
version: 1
pools:
  - id: gpu-a
    engine: llamacpp
    model_ref: m
    devices: ['cuda:0']
    ctx_max: 4096
`;

describe('ORCH-4030: journal config', () => {
  it('ORCH-4030: no journal section → no path (off), synchronous full', () => {
    expect(parseConfig(minimal).journal).toEqual({ synchronous: 'full' });
  });

  it('ORCH-4030: path and synchronous normal are taken as given', () => {
    const c = parseConfig(
      `${minimal}journal:\n  path: /var/lib/orch/j.sqlite\n  synchronous: normal\n`,
    );
    expect(c.journal).toEqual({ path: '/var/lib/orch/j.sqlite', synchronous: 'normal' });
  });

  it('ORCH-4030: an unknown fsync policy or an empty path is refused, naming the field', () => {
    for (const bad of ['  synchronous: off\n', "  path: ''\n", '  fsync: true\n']) {
      let issues: string[] = [];
      try {
        parseConfig(`${minimal}journal:\n${bad}`);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        issues = e.issues.map((i) => i.path);
      }
      expect(issues.join()).toMatch(/^journal/);
    }
  });
});
