// Determinism lint of an engine container's command line (ORCH-3112). llama.cpp interleaves the
// slots of one batch unless it runs one slot without continuous batching, so a strict pool admits
// only workers started with both flags; the denial names the flag so the fix is obvious.
import type { Container } from './pod-types.js';

export interface ArgFinding {
  flag: string;
  problem: string;
}

/** The value after `flag` (or `flag=value`), trying each spelling; undefined when absent. */
function valueOf(argv: readonly string[], spellings: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    for (const s of spellings) {
      if (a === s) return argv[i + 1] ?? '';
      if (a.startsWith(`${s}=`)) return a.slice(s.length + 1);
    }
  }
  return undefined;
}

const has = (argv: readonly string[], spellings: readonly string[]): boolean =>
  argv.some((a) => spellings.includes(a));

/** What in a llama-server command line breaks batch-invariant output; empty when compliant. */
export function llamaCppDeterminismFindings(argv: readonly string[]): ArgFinding[] {
  const out: ArgFinding[] = [];
  const parallel = valueOf(argv, ['--parallel', '-np']);
  if (parallel === undefined) {
    out.push({
      flag: '--parallel',
      problem: 'missing --parallel 1 (llama-server defaults to several slots)',
    });
  } else if (parallel !== '1') {
    out.push({ flag: '--parallel', problem: `--parallel ${parallel} (needs --parallel 1)` });
  }
  if (has(argv, ['--cont-batching', '-cb'])) {
    out.push({
      flag: '--cont-batching',
      problem: '--cont-batching is set (needs --no-cont-batching)',
    });
  } else if (!has(argv, ['--no-cont-batching', '-nocb'])) {
    out.push({
      flag: '--no-cont-batching',
      problem: 'missing --no-cont-batching (continuous batching is on by default)',
    });
  }
  return out;
}

/** The container's whole command line: command then args, as the kubelet runs it. */
export const commandLine = (c: Container): string[] => [...(c.command ?? []), ...(c.args ?? [])];
