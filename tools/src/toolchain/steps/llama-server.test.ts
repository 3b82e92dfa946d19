import { describe, expect, it } from 'vitest';
import { parseLlamaVersion } from './llama-server.js';

describe('ORCH-3032: engine version from llama-server --version', () => {
  it('ORCH-3032: parses the modern format into /props build_info', () => {
    const out =
      'version: 0.5.0-dev (build 1, commit de3ff81)\nbuilt with GNU 12.2.0 for Linux x86_64';
    expect(parseLlamaVersion(out)).toEqual({ buildInfo: 'b1-de3ff81', version: '0.5.0-dev' });
  });

  it('ORCH-3032: parses the legacy "version: <build> (<commit>)" format', () => {
    expect(parseLlamaVersion('version: 6497 (abc1234)\nbuilt with cc')).toEqual({
      buildInfo: 'b6497-abc1234',
      version: null,
    });
  });

  it('ORCH-3032: returns undefined for output without a version', () => {
    expect(parseLlamaVersion('error: unknown argument')).toBeUndefined();
  });
});
