// npm run bench:goodput-stack [-- --replicas 16 --shared-rates 12,16,20,24,28,32
//   --uniform-rates 10,14,18,22 --warmup-s 3 --duration-s 8 --slo-ms 2000,1000,500 --give-up-ms 8000
//   --stop-below 0.6 --max-tokens 4 --prefill-ms-per-token 2 --itl-ms 25 --cache-prompts 8
//   --systems 16 --system-words 300 --sessions 128 --turns 4 --seed 7 --out <file.json>]: placement goodput at the
// knee through the real stack (goodput-stack.ts); prints the table and writes
// .artifacts/bench/goodput-stack.{json,txt}.
import { parseArgs } from 'node:util';
import { DEFAULTS, runGoodputStack } from './goodput-stack.js';

const { values: a } = parseArgs({
  options: {
    replicas: { type: 'string' },
    'shared-rates': { type: 'string' },
    'uniform-rates': { type: 'string' },
    'warmup-s': { type: 'string' },
    'duration-s': { type: 'string' },
    'slo-ms': { type: 'string' },
    'give-up-ms': { type: 'string' },
    'stop-below': { type: 'string' },
    'max-tokens': { type: 'string' },
    'prefill-ms-per-token': { type: 'string' },
    'itl-ms': { type: 'string' },
    'cache-prompts': { type: 'string' },
    systems: { type: 'string' },
    'system-words': { type: 'string' },
    sessions: { type: 'string' },
    turns: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  },
});

function num(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
  return n;
}

function list(name: string, v: string | undefined, fallback: number[]): number[] {
  if (v === undefined) return fallback;
  const out = v.split(',').map((x) => num(name, x, 0));
  if (out.length === 0 || out.some((x) => x <= 0)) throw new Error(`--${name}: positive numbers`);
  return out;
}

const result = await runGoodputStack({
  replicas: num('replicas', a.replicas, DEFAULTS.replicas),
  rates: {
    'shared-prefix multi-turn': list(
      'shared-rates',
      a['shared-rates'],
      DEFAULTS.rates['shared-prefix multi-turn'],
    ),
    uniform: list('uniform-rates', a['uniform-rates'], DEFAULTS.rates.uniform),
  },
  warmupS: num('warmup-s', a['warmup-s'], DEFAULTS.warmupS),
  durationS: num('duration-s', a['duration-s'], DEFAULTS.durationS),
  ttftSloMs: list('slo-ms', a['slo-ms'], DEFAULTS.ttftSloMs),
  giveUpMs: num('give-up-ms', a['give-up-ms'], DEFAULTS.giveUpMs),
  stopBelow: num('stop-below', a['stop-below'], DEFAULTS.stopBelow),
  maxTokens: num('max-tokens', a['max-tokens'], DEFAULTS.maxTokens),
  prefillOverheadMs: DEFAULTS.prefillOverheadMs,
  prefillMsPerToken: num(
    'prefill-ms-per-token',
    a['prefill-ms-per-token'],
    DEFAULTS.prefillMsPerToken,
  ),
  itlMs: num('itl-ms', a['itl-ms'], DEFAULTS.itlMs),
  cachePrompts: num('cache-prompts', a['cache-prompts'], DEFAULTS.cachePrompts),
  systems: num('systems', a.systems, DEFAULTS.systems),
  systemWords: num('system-words', a['system-words'], DEFAULTS.systemWords),
  sessions: num('sessions', a.sessions, DEFAULTS.sessions),
  turns: num('turns', a.turns, DEFAULTS.turns),
  seed: num('seed', a.seed, DEFAULTS.seed),
  ...(a.out !== undefined && { out: a.out }),
  log: (m) =>
    process.stderr.write(`[bench:goodput-stack] ${new Date().toISOString().slice(11, 19)} ${m}\n`),
});
process.stdout.write(`${result.text}\nwrote ${result.file}\n`);
