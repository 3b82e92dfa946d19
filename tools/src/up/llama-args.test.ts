import { describe, expect, it } from 'vitest';
import { llamaServerArgs } from './llama-args.js';

const BASE = ['-m', '--host', '--port', '--metrics', '-np', '--no-cont-batching', '--no-webui'];
const DET = [
  '--no-cache-prompt',
  '--cache-ram',
  '--no-cache-idle-slots',
  '--cache-reuse',
  '-c',
  '-b',
  '-ub',
  '-fa',
  '--fit',
  '-t',
  '-tb',
  '-ngl',
];

describe('ORCH-4016: llama-server replica flags', () => {
  it('ORCH-4016: includes the required flags and every supported determinism flag', () => {
    const { args, unsupported } = llamaServerArgs(
      { modelPath: '/m.gguf', port: 8200 },
      new Set([...BASE, ...DET]),
    );
    expect(unsupported).toEqual([]);
    expect(args.slice(0, 6)).toEqual(['-m', '/m.gguf', '--host', '127.0.0.1', '--port', '8200']);
    expect(args).toEqual(
      expect.arrayContaining([
        '--metrics',
        '--no-cont-batching',
        '--no-webui',
        '--no-cache-prompt',
      ]),
    );
    expect(args[args.indexOf('-np') + 1]).toBe('1');
    expect(args[args.indexOf('--cache-ram') + 1]).toBe('0');
    expect(args[args.indexOf('-c') + 1]).toBe('2048');
  });

  it('ORCH-4016: leaves out and reports determinism flags an older build lacks', () => {
    const { args, unsupported } = llamaServerArgs(
      { modelPath: '/m.gguf', port: 1 },
      new Set([...BASE, ...DET.filter((f) => f !== '--fit' && f !== '--cache-ram')]),
    );
    expect(unsupported).toEqual(['--cache-ram', '--fit']);
    expect(args).not.toContain('--fit');
  });

  it('ORCH-4016: refuses a build without a required flag', () => {
    expect(() =>
      llamaServerArgs({ modelPath: '/m', port: 1 }, new Set(BASE.filter((f) => f !== '--metrics'))),
    ).toThrow(/--metrics/);
  });
});
