import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FlagError,
  SIDECAR_FLAGS,
  parseSidecarFlags,
  renderFlagsMarkdown,
  renderHelp,
} from './flags.js';

const base = ['--replica-id', 'r0', '--model-ref', 'm'];

describe('ORCH-3115: one flag table for parsing, --help and docs', () => {
  it('ORCH-3115: defaults, env fallback, flag over env', () => {
    const f = parseSidecarFlags(base, { SIDECAR_PORT: '9100', SIDECAR_CTX: '4096' });
    expect(f.int('port')).toBe(9100);
    expect(f.int('ctx')).toBe(4096);
    expect(f.required('placement')).toBe('127.0.0.1:9003');
    expect(f.bool('strict')).toBe(true);
    expect(parseSidecarFlags([...base, '--port', '0'], { SIDECAR_PORT: '9100' }).int('port')).toBe(
      0,
    );
    expect(parseSidecarFlags([...base, '--no-strict'], {}).bool('strict')).toBe(false);
    expect(parseSidecarFlags(base, { SIDECAR_DETERMINISM_STRICT: '0' }).bool('strict')).toBe(false);
    expect(
      parseSidecarFlags([...base, '--tensor-split', '0.6, 0.4'], {}).numbers('tensor-split'),
    ).toEqual([0.6, 0.4]);
    expect(
      parseSidecarFlags([...base, '--devices', 'cuda:0,,cuda:1 '], {}).list('devices'),
    ).toEqual(['cuda:0', 'cuda:1']);
  });

  it('ORCH-3115: a bad value is an error naming the flag or env variable, never NaN', () => {
    expect(() => parseSidecarFlags([...base, '--port', 'abc'], {})).toThrow(
      new FlagError('--port: "abc" is not a TCP port (0-65535)'),
    );
    expect(() => parseSidecarFlags(base, { SIDECAR_PORT: '70000' })).toThrow(
      'SIDECAR_PORT: "70000" is not a TCP port',
    );
    expect(() => parseSidecarFlags([...base, '--ctx', '0'], {})).toThrow(
      '--ctx: "0" is not an integer >= 1',
    );
    expect(() => parseSidecarFlags([...base, '--threads', '2.5'], {})).toThrow('--threads');
    expect(() => parseSidecarFlags([...base, '--tensor-split', '0.6,x'], {})).toThrow(
      '"x" in "0.6,x" is not a number',
    );
    expect(() => parseSidecarFlags(base, { SIDECAR_DETERMINISM_STRICT: 'yes' })).toThrow(
      'SIDECAR_DETERMINISM_STRICT',
    );
    expect(() => parseSidecarFlags([...base, '--strict', '--no-strict'], {})).toThrow('both given');
    expect(() => parseSidecarFlags([...base, '--prot', '1'], {})).toThrow(
      /Unknown option '--prot'/,
    );
    expect(() => parseSidecarFlags([], {}).required('replica-id')).toThrow(
      'missing --replica-id / SIDECAR_REPLICA_ID',
    );
    expect(() => parseSidecarFlags(base, { SIDECAR_ENGINE_LAUNCH_ARGS: '-np 1' })).toThrow(
      'SIDECAR_ENGINE_LAUNCH_ARGS: "-np 1" is not a JSON array of strings',
    );
    expect(() => parseSidecarFlags([...base, '--engine-launch-args', '[1]'], {})).toThrow(
      '--engine-launch-args',
    );
  });

  it('ORCH-4016: the engine command line a launcher declared, as a JSON array', () => {
    const argv = ['llama-server', '--parallel', '1', '--ctx-size', '4096'];
    const env = { SIDECAR_ENGINE_LAUNCH_ARGS: JSON.stringify(argv) };
    expect(parseSidecarFlags(base, env).argv('engine-launch-args')).toEqual(argv);
    expect(parseSidecarFlags(base, {}).argv('engine-launch-args')).toBeUndefined();
  });

  it('ORCH-3115: --help lists every flag with its env variable and default', () => {
    const help = renderHelp();
    for (const s of SIDECAR_FLAGS) {
      expect(help).toContain(`--${s.name}`);
      expect(help).toContain(s.env);
    }
    expect(help).toContain('[8100] (SIDECAR_PORT)');
  });

  it('ORCH-3115: the README flag table is the rendered table', () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const section = /<!-- flags:begin -->([\s\S]*?)<!-- flags:end -->/.exec(readme)?.[1] ?? '';
    // Compare cells, not spacing: prettier pads the table's columns.
    const cells = (md: string): string[][] =>
      md
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('|') && !/^\|[\s-|]+\|$/.test(l))
        .map((l) =>
          l
            .slice(1, -1)
            .split(/(?<!\\)\|/)
            .map((c) => c.trim()),
        );
    expect(cells(section), 'regenerate: npx tsx sidecar/src/flags-doc.ts').toEqual(
      cells(renderFlagsMarkdown()),
    );
  });

  it('ORCH-3115: the process exits 2 with the message on --port abc, 0 with the help on --help', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const bad = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'sidecar/src/main.ts', ...base, '--port', 'abc'],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('sidecar: --port: "abc" is not a TCP port');
    const help = spawnSync(process.execPath, ['--import', 'tsx', 'sidecar/src/main.ts', '--help'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(renderHelp());
  }, 120_000);
});
