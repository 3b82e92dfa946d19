// The determinism rules for a llama-server command line (ORCH-4016, ORCH-3112), in one place: the
// sidecar checks the command line it launched (or the one the injection webhook verified and
// declared), and the webhook denies a worker Pod whose engine container breaks them. Pure (no
// imports), so the webhook can use it without loading the sidecar.
//
// Why each rule: llama.cpp interleaves the slots of one batch unless it runs one slot without
// continuous batching; context, batch, micro-batch and thread counts change the kernels' shapes
// and with them the floating-point result, and their defaults differ across builds and machines,
// so a replica set is reproducible only when they are pinned.

export interface ArgFinding {
  /** The flag's long spelling, e.g. `--parallel`. */
  flag: string;
  problem: string;
}

interface PinnedFlag {
  spellings: readonly string[];
  /** The only accepted value; any value when absent. */
  value?: string;
  why: string;
}

const PINNED: readonly PinnedFlag[] = [
  { spellings: ['--parallel', '-np'], value: '1', why: 'llama-server defaults to several slots' },
  { spellings: ['--ctx-size', '-c'], why: 'the context size must be pinned' },
  { spellings: ['--batch-size', '-b'], why: 'the logical batch size must be pinned' },
  { spellings: ['--ubatch-size', '-ub'], why: 'the physical batch size must be pinned' },
  { spellings: ['--threads', '-t'], why: 'the thread count must be pinned' },
];

/** The value after a flag (or `flag=value`), trying each spelling; undefined when absent. */
export function flagValue(
  argv: readonly string[],
  spellings: readonly string[],
): string | undefined {
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
  for (const p of PINNED) {
    const flag = p.spellings[0] ?? '';
    const v = flagValue(argv, p.spellings);
    if (v === undefined) {
      out.push({ flag, problem: `missing ${flag}${p.value ? ` ${p.value}` : ''} (${p.why})` });
    } else if (p.value !== undefined && v !== p.value) {
      out.push({ flag, problem: `${flag} ${v} (needs ${flag} ${p.value})` });
    }
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

/** The pinned context size of a command line, when it has a numeric one. */
export function pinnedContext(argv: readonly string[]): number | undefined {
  const v = flagValue(argv, ['--ctx-size', '-c']);
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}
