import { describe, expect, it } from 'vitest';
import { llamaCppDeterminismFindings, pinnedContext } from './launch-args.js';
import { helpHas, llamacppLauncher } from './launch.js';

const base = {
  binary: 'llama-server',
  modelPath: '/m.gguf',
  host: '127.0.0.1',
  port: 8201,
  ctx: 2048,
  threads: 2,
  batch: 2048,
  ubatch: 512,
};

describe('ORCH-4016: llama-server determinism launch flags', () => {
  it('ORCH-4016: always pins slots, batching, threads, batch sizes and ctx', () => {
    const args = llamacppLauncher.launchArgs({ ...base, helpText: '' });
    expect(llamaCppDeterminismFindings(args)).toEqual([]);
    expect(pinnedContext(args)).toBe(2048);
    expect(args.join(' ')).toContain('-np 1 --no-cont-batching --metrics');
    expect(args).not.toContain('--cache-ram');
  });

  it('ORCH-4016: passes optional cache / fit flags only when --help lists them', () => {
    const help = [
      '--cache-ram, -cram N   max cache size in MiB',
      '--cache-reuse N        min chunk size',
      '-fit, --fit [on|off]   fit',
      '--no-webui             disable web ui',
      '-fa,  --flash-attn [on|off|auto]',
      '-tb, --threads-batch N',
    ].join('\n');
    const args = llamacppLauncher.launchArgs({ ...base, helpText: help });
    const s = args.join(' ');
    expect(s).toContain('--cache-ram 0');
    expect(s).toContain('--cache-reuse 0');
    expect(s).toContain('--fit off');
    expect(s).toContain('--no-webui');
    expect(s).toContain('-fa off');
    expect(s).toContain('-tb 2');
    expect(helpHas(help, '--cache')).toBe(false);
  });

  it('ORCH-4016: reports each unpinned or wrong flag by its long name, any spelling accepted', () => {
    const flags = (argv: string[]) => llamaCppDeterminismFindings(argv).map((f) => f.flag);
    expect(flags(['-np', '4', '-t', '2'])).toEqual([
      '--parallel',
      '--ctx-size',
      '--batch-size',
      '--ubatch-size',
      '--no-cont-batching',
    ]);
    expect(llamaCppDeterminismFindings(['-np', '4'])[0]?.problem).toBe(
      '--parallel 4 (needs --parallel 1)',
    );
    const pinned = ['--parallel=1', '-c', '4096', '-b', '512', '-ub', '512', '--threads', '8'];
    expect(flags([...pinned, '-nocb'])).toEqual([]);
    expect(flags([...pinned, '-nocb', '-cb'])).toEqual(['--cont-batching']);
    expect(pinnedContext(pinned)).toBe(4096);
    expect(pinnedContext(['-c', 'big'])).toBeUndefined();
  });
});
