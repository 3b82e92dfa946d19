// Aggregation and the printed tables of the side-by-side bench: per level and path, TTFT
// percentiles, TTFT added over direct (paired by request: same round, same slot in the batch,
// same seed), the spread of the per-round medians, decode rate and throughput, each with its
// ratio to direct; and the per-hop breakdown of one request.
import { percentile, round } from '../stats.js';
import { PATHS, ttftMs } from './runners.js';
import type { PathName, Sample } from './runners.js';

export interface Round {
  /** Per path: the samples of this round in request order (index i pairs across paths). */
  samples: Partial<Record<PathName, Sample[]>>;
  /** Per path: wall time of the round's batch (c > 1) or the sum of its requests (c = 1). */
  wallMs: Partial<Record<PathName, number>>;
}

interface PathLevel {
  samples: number;
  ttft_p50_ms: number;
  ttft_p99_ms: number;
  added_ttft_p50_ms: number;
  added_ttft_p99_ms: number;
  /** min and max over rounds of the round's median added TTFT. */
  added_ttft_p50_spread_ms: [number, number];
  decode_tokens_per_s_p50: number;
  throughput_tokens_per_s: number;
  ratio: { ttft_p50: number; decode_tokens_per_s: number; throughput_tokens_per_s: number };
}

export interface LevelReport {
  concurrency: number;
  rounds: number;
  paths: Partial<Record<PathName, PathLevel>>;
}

const decodeRate = (s: Sample): number =>
  s.tokens > 1 && s.lastAt > s.firstAt ? ((s.tokens - 1) * 1000) / (s.lastAt - s.firstAt) : NaN;

function added(rounds: readonly Round[], path: PathName): { all: number[]; perRound: number[] } {
  const all: number[] = [];
  const perRound: number[] = [];
  for (const r of rounds) {
    const mine = r.samples[path] ?? [];
    const base = r.samples.direct ?? [];
    const d = mine.map((s, i) => ttftMs(s) - (base[i] ? ttftMs(base[i]) : NaN));
    all.push(...d);
    perRound.push(percentile(d, 50));
  }
  return { all, perRound };
}

export function summariseLevel(concurrency: number, rounds: readonly Round[]): LevelReport {
  const paths: Partial<Record<PathName, PathLevel>> = {};
  const pick = (p: PathName): Sample[] => rounds.flatMap((r) => r.samples[p] ?? []);
  const throughput = (p: PathName): number => {
    const tokens = pick(p).reduce((n, s) => n + s.tokens, 0);
    const wall = rounds.reduce((n, r) => n + (r.wallMs[p] ?? 0), 0);
    return wall > 0 ? (tokens * 1000) / wall : NaN;
  };
  const direct = pick('direct');
  const base = {
    ttft: percentile(direct.map(ttftMs), 50),
    decode: percentile(direct.map(decodeRate), 50),
    throughput: throughput('direct'),
  };
  for (const p of PATHS) {
    const s = pick(p);
    if (s.length === 0) continue;
    const a = added(rounds, p);
    const ttft50 = percentile(s.map(ttftMs), 50);
    const decode = percentile(s.map(decodeRate), 50);
    const tput = throughput(p);
    paths[p] = {
      samples: s.length,
      ttft_p50_ms: round(ttft50, 2),
      ttft_p99_ms: round(percentile(s.map(ttftMs), 99), 2),
      added_ttft_p50_ms: round(percentile(a.all, 50), 2),
      added_ttft_p99_ms: round(percentile(a.all, 99), 2),
      added_ttft_p50_spread_ms: [
        round(Math.min(...a.perRound.filter(Number.isFinite)), 2),
        round(Math.max(...a.perRound.filter(Number.isFinite)), 2),
      ],
      decode_tokens_per_s_p50: round(decode, 1),
      throughput_tokens_per_s: round(tput, 1),
      ratio: {
        ttft_p50: round(ttft50 / base.ttft, 3),
        decode_tokens_per_s: round(decode / base.decode, 3),
        throughput_tokens_per_s: round(tput / base.throughput, 3),
      },
    };
  }
  return { concurrency, rounds: rounds.length, paths };
}

export const PATH_LABEL: Record<PathName, string> = {
  direct: 'direct (engine)',
  floor: 'Envoy static route',
  shape: 'shape floor',
  full: 'OrchQueue (full)',
  openai: 'OpenAI path',
  litellm: 'LiteLLM proxy',
};

function render(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))))
    .map((r) => r.join('  ').trimEnd())
    .join('\n');
}

export function levelTable(levels: readonly LevelReport[]): string {
  const rows: string[][] = [
    [
      'c',
      'path',
      'n',
      'TTFT p50',
      'TTFT p99',
      '+TTFT p50',
      '+TTFT p99',
      '+p50 rounds',
      'xTTFT',
      'decode tok/s',
      'x',
      'thru tok/s',
      'x',
    ],
  ];
  for (const l of levels) {
    for (const p of PATHS) {
      const s = l.paths[p];
      if (!s) continue;
      const direct = p === 'direct';
      rows.push([
        String(l.concurrency),
        PATH_LABEL[p],
        String(s.samples),
        s.ttft_p50_ms.toFixed(2),
        s.ttft_p99_ms.toFixed(2),
        direct ? '-' : s.added_ttft_p50_ms.toFixed(2),
        direct ? '-' : s.added_ttft_p99_ms.toFixed(2),
        direct ? '-' : `${s.added_ttft_p50_spread_ms[0]}..${s.added_ttft_p50_spread_ms[1]}`,
        `x${s.ratio.ttft_p50.toFixed(3)}`,
        s.decode_tokens_per_s_p50.toFixed(1),
        `x${s.ratio.decode_tokens_per_s.toFixed(3)}`,
        s.throughput_tokens_per_s.toFixed(1),
        `x${s.ratio.throughput_tokens_per_s.toFixed(3)}`,
      ]);
    }
  }
  return `${render(rows)}\n(ms; +TTFT = added over direct, paired per request; +p50 rounds = min..max of the per-round medians; x = ratio to direct)`;
}

/** Per-hop figures of one request, medians over the per-hop samples (ms). */
export type HopRow = { hop: string } & Partial<Record<PathName, number>>;

export function hopTable(rows: readonly HopRow[]): string {
  const out: string[][] = [['hop (median ms)', '', ...PATHS.map((p) => PATH_LABEL[p])]];
  for (const r of rows) {
    out.push([
      r.hop,
      '',
      ...PATHS.map((p) => {
        const v = r[p];
        return v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(2);
      }),
    ]);
  }
  return render(out);
}

/** Median of finite values, rounded to µs. */
export function med(values: readonly number[]): number {
  return round(percentile(values, 50), 3);
}
