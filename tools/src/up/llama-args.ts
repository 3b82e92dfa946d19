// llama-server command line for one deterministic replica (see /work/shared/notes/engines.md,
// "Byte-identical replicas"). Flags the build does not know are left out and reported, so a
// newer or older llama.cpp still starts, and the caller can see what was dropped.
import { run } from '../toolchain/exec.js';

export interface LlamaArgsOptions {
  modelPath: string;
  port: number;
  host?: string;
  /** Pinned context size (ORCH-3007: ctx is part of the replica-set identity). */
  ctx?: number;
  /** Pinned thread count; default 2 (the CI machines have 2 cores). */
  threads?: number;
  /** GPU layers; 0 for the CPU carve-out. */
  gpuLayers?: number;
}

export interface LlamaArgs {
  args: string[];
  /** Determinism flags this build does not support (left out). */
  unsupported: string[];
}

/** Every `--long-flag` and `-short` flag that `llama-server --help` lists. */
export async function probeLlamaFlags(bin: string): Promise<Set<string>> {
  const res = await run(bin, ['--help'], { timeoutMs: 30_000 });
  const flags = new Set<string>();
  for (const m of (res.stdout + res.stderr).matchAll(/(?:^|[\s,])(--?[a-zA-Z][\w-]*)/g)) {
    if (m[1] !== undefined) flags.add(m[1]);
  }
  return flags;
}

export function llamaServerArgs(o: LlamaArgsOptions, supported: ReadonlySet<string>): LlamaArgs {
  const threads = String(o.threads ?? 2);
  // Required by the issue: fail loudly rather than drop these.
  const base = [
    ['-m', o.modelPath],
    ['--host', o.host ?? '127.0.0.1'],
    ['--port', String(o.port)],
    ['--metrics'],
    ['-np', '1'],
    ['--no-cont-batching'],
    ['--no-webui'],
  ];
  // Determinism recipe; each entry is [flag, ...values]. Kept when the build knows the flag.
  const determinism = [
    ['--no-cache-prompt'],
    ['--cache-ram', '0'],
    ['--no-cache-idle-slots'],
    ['--cache-reuse', '0'],
    ['-c', String(o.ctx ?? 2048)],
    ['-b', '2048'],
    ['-ub', '512'],
    ['-fa', 'off'],
    ['--fit', 'off'],
    ['-t', threads],
    ['-tb', threads],
    ['-ngl', String(o.gpuLayers ?? 0)],
  ];
  const missingBase = base.map((f) => f[0] ?? '').filter((f) => !supported.has(f));
  if (missingBase.length > 0) {
    throw new Error(`this llama-server lacks required flags: ${missingBase.join(' ')}`);
  }
  const unsupported: string[] = [];
  const args = base.flat();
  for (const [flag, ...vals] of determinism) {
    if (flag === undefined) continue;
    if (supported.has(flag)) args.push(flag, ...vals);
    else unsupported.push(flag);
  }
  return { args, unsupported };
}
