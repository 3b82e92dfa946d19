// npm run bench:paths [-- --replicas 64 --slots 1 --levels 1,64 --rounds 5 --iterations 10 --max-tokens 32
//   --ttft-ms 20 --itl-ms 20 --warmup 3 --per-hop 20 --journal-sync full|normal]: the side-by-side
//   overhead bench (side-by-side.ts); prints its tables and writes
//   .artifacts/bench/side-by-side.{json,txt}.
import { parseArgs } from 'node:util';
import { DEFAULTS, runSideBySide } from './side-by-side.js';

const { values: a } = parseArgs({
  options: {
    replicas: { type: 'string' },
    slots: { type: 'string' },
    levels: { type: 'string' },
    rounds: { type: 'string' },
    iterations: { type: 'string' },
    'max-tokens': { type: 'string' },
    'ttft-ms': { type: 'string' },
    'itl-ms': { type: 'string' },
    warmup: { type: 'string' },
    'per-hop': { type: 'string' },
    'journal-sync': { type: 'string', default: 'full' },
  },
});

function int(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

const journalSync = a['journal-sync'];
if (journalSync !== 'full' && journalSync !== 'normal') {
  throw new Error(`--journal-sync ${journalSync}: expected full or normal`);
}
const levels = a.levels ? a.levels.split(',').map((x) => int('levels', x, 1)) : DEFAULTS.levels;
const slots = Math.max(1, int('slots', a.slots, 1));
const result = await runSideBySide({
  replicas: int('replicas', a.replicas, Math.ceil(Math.max(...levels) / slots)),
  slots,
  levels,
  rounds: int('rounds', a.rounds, DEFAULTS.rounds),
  iterations: int('iterations', a.iterations, DEFAULTS.iterations),
  maxTokens: int('max-tokens', a['max-tokens'], DEFAULTS.maxTokens),
  ttftMs: int('ttft-ms', a['ttft-ms'], DEFAULTS.ttftMs),
  itlMs: int('itl-ms', a['itl-ms'], DEFAULTS.itlMs),
  warmup: int('warmup', a.warmup, DEFAULTS.warmup),
  perHop: int('per-hop', a['per-hop'], DEFAULTS.perHop),
  journalSync,
  log: (m) => process.stderr.write(`[bench:paths] ${m}\n`),
});
process.stdout.write(`${result.text}\nwrote ${result.file}\n`);
