// The CPU twin of the GPU determinism run (ORCH-3121..3123): `npm test` runs the very script a
// GPU host runs (test-harness/gpu/gpu_determinism.py), here with the toolchain's CPU llama-server,
// -ngl 0 and a tiny random-weight qwen2 model it makes itself: the CPU carve-out (ORCH-1101).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cmakeConfigureArgs, loadToolchain } from '@llama-orch/tools';
import { completionBody } from '../bench/direct-engine.js';
import { REPO_ROOT } from '../src/stack/index.js';

const SCRIPT = join(REPO_ROOT, 'test-harness', 'gpu', 'gpu_determinism.py');
const CORPUS = join(REPO_ROOT, 'test-harness', 'determinism-suite', 'corpus.json');
const work = mkdtempSync(join(tmpdir(), 'gpu-twin-'));

interface Report {
  ok: boolean;
  carve_out: string | null;
  device: string;
  prompts: number;
  max_tokens: number;
  identical_first_32: number;
  identical_full: number;
  distinct_streams: number;
  launch_args: string[];
  model: { architecture: string; params: number };
  replicas: Record<'A' | 'B', { tokens: number; decode_tokens_per_s: number | null }>;
  run_s: number;
  total_s: number;
}

/** Runs the script with python3; a missing python3 is a failure with its fix, never a skip. */
function py(args: string[], timeoutMs = 90_000): { code: number; out: string; err: string } {
  const res = spawnSync('python3', [SCRIPT, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGTERM',
  });
  if (res.error !== undefined) {
    throw new Error(
      `cannot run python3 ${SCRIPT}: ${res.error.message} (install Python 3; the script needs only its stdlib)`,
    );
  }
  return { code: res.status ?? -1, out: res.stdout, err: res.stderr };
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('ORCH-3121: the GPU script sends the sidecar request bodies', () => {
  it('ORCH-3121: all 64 bodies are byte-identical to the sidecar-pinned completionBody()', () => {
    const corpus = JSON.parse(readFileSync(CORPUS, 'utf8')) as {
      max_tokens: number;
      entries: { seed: number; prompt: string }[];
    };
    const r = py(['--print-bodies']);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(64);
    corpus.entries.forEach((e, i) => {
      expect(lines[i]).toBe(JSON.stringify(completionBody(e.prompt, corpus.max_tokens, e.seed)));
    });
  });
});

describe('ORCH-3120: the GPU script builds with the toolchain flags', () => {
  it('ORCH-3120: cmake configure args equal tools cmakeConfigureArgs() for cuda and cpu', () => {
    for (const flavour of ['cuda', 'cpu'] as const) {
      const r = py(['--print-cmake-args', flavour]);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toEqual(cmakeConfigureArgs(flavour, true));
    }
  });
});

describe('ORCH-3122: two replicas, 64 seeded prompts, byte-exact (CPU carve-out, ORCH-1101)', () => {
  let bin = '';

  it('ORCH-3122, ORCH-3123: the CPU twin passes: 64/64 identical streams, -ngl 0, tokens/s per replica', async () => {
    bin = (await loadToolchain()).llamaServer.bin;
    const out = join(work, 'report.json');
    const t0 = performance.now();
    const r = py(['--device', 'cpu', '--llama-server', bin, '--work', work, '--out', out]);
    const wallS = (performance.now() - t0) / 1000;
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    const rep = JSON.parse(readFileSync(out, 'utf8')) as Report;
    console.log(
      `CPU carve-out (ORCH-1101): gpu_determinism.py --device cpu: ${rep.identical_full}/${rep.prompts} ` +
        `identical, tok/s A ${rep.replicas.A.decode_tokens_per_s} B ${rep.replicas.B.decode_tokens_per_s}, ` +
        `${wallS.toFixed(1)} s wall`,
    );
    expect(rep.ok).toBe(true);
    expect(rep.device).toBe('cpu');
    expect(rep.carve_out).toMatch(/ORCH-1101/);
    expect(rep.prompts).toBe(64);
    expect(rep.max_tokens).toBe(48);
    expect(rep.identical_full).toBe(64);
    expect(rep.identical_first_32).toBe(64);
    expect(rep.distinct_streams).toBeGreaterThan(32);
    expect(rep.model.architecture).toBe('qwen2');
    const a = rep.launch_args;
    expect(a[a.indexOf('-ngl') + 1]).toBe('0');
    expect(a[a.indexOf('-np') + 1]).toBe('1');
    expect(a).toContain('--no-cont-batching');
    expect(a[a.indexOf('--host') + 1]).toBe('127.0.0.1');
    for (const side of ['A', 'B'] as const) {
      expect(rep.replicas[side].tokens).toBeGreaterThan(64 * 12);
      expect(rep.replicas[side].decode_tokens_per_s).toBeGreaterThan(0);
    }
  }, 100_000);

  it('ORCH-3122: a replica fed other seeds is caught (the check can go red)', () => {
    expect(bin, 'the passing run above loads the toolchain').not.toBe('');
    const r = py([
      '--device',
      'cpu',
      '--llama-server',
      bin,
      '--work',
      work,
      '--out',
      join(work, 'broken.json'),
      '--break-b-seed',
      '1',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/did not produce byte-identical streams/);
    const rep = JSON.parse(readFileSync(join(work, 'broken.json'), 'utf8')) as Report;
    expect(rep.ok).toBe(false);
    expect(rep.identical_full).toBeLessThan(32);
  }, 100_000);

  it('ORCH-3122: --device cuda refuses a llama-server that sees no CUDA device (no silent CPU run)', () => {
    expect(bin, 'the passing run above loads the toolchain').not.toBe('');
    const r = py(['--device', 'cuda', '--llama-server', bin, '--work', work]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/lists no CUDA device/);
  });
});
