// Summary statistics and the printed table of the overhead bench.
import type { StreamSample } from './direct-engine.js';

/** Nearest-rank percentile (p in 0..100) of finite values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * v.length));
  return v[Math.min(rank, v.length) - 1] as number;
}

interface PathSummary {
  samples: number;
  ttft_p50_ms: number;
  ttft_p99_ms: number;
  /** Median per-stream decode rate: (tokens - 1) / time from first to last token. */
  decode_tokens_per_s_p50: number;
  /** All tokens of the measured streams over the wall time they took (what clients got). */
  throughput_tokens_per_s: number;
  tokens_total: number;
}

export function summarise(samples: readonly StreamSample[], wallMs: number): PathSummary {
  const rates = samples
    .filter((s) => s.tokens > 1 && s.decodeMs > 0)
    .map((s) => ((s.tokens - 1) * 1000) / s.decodeMs);
  const tokens = samples.reduce((n, s) => n + s.tokens, 0);
  return {
    samples: samples.length,
    ttft_p50_ms: round(
      percentile(
        samples.map((s) => s.ttftMs),
        50,
      ),
    ),
    ttft_p99_ms: round(
      percentile(
        samples.map((s) => s.ttftMs),
        99,
      ),
    ),
    decode_tokens_per_s_p50: round(percentile(rates, 50)),
    throughput_tokens_per_s: round((tokens * 1000) / wallMs),
    tokens_total: tokens,
  };
}

interface Ratios {
  ttft_p50: number;
  ttft_p99: number;
  decode_tokens_per_s: number;
  throughput_tokens_per_s: number;
}

/** full / direct: above 1 means slower TTFT, below 1 means fewer tokens/s. */
export function ratios(full: PathSummary, direct: PathSummary): Ratios {
  return {
    ttft_p50: round(full.ttft_p50_ms / direct.ttft_p50_ms, 3),
    ttft_p99: round(full.ttft_p99_ms / direct.ttft_p99_ms, 3),
    decode_tokens_per_s: round(full.decode_tokens_per_s_p50 / direct.decode_tokens_per_s_p50, 3),
    throughput_tokens_per_s: round(
      full.throughput_tokens_per_s / direct.throughput_tokens_per_s,
      3,
    ),
  };
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export interface Level {
  concurrency: number;
  direct: PathSummary;
  full: PathSummary;
  ratio: Ratios;
}

export function table(levels: readonly Level[]): string {
  const head = [
    'conc',
    'path',
    'n',
    'TTFT p50 ms',
    'TTFT p99 ms',
    'decode tok/s p50',
    'throughput tok/s',
  ];
  const rows: string[][] = [head];
  for (const l of levels) {
    for (const [name, s] of [
      ['direct', l.direct],
      ['full', l.full],
    ] as const) {
      rows.push([
        String(l.concurrency),
        name,
        String(s.samples),
        String(s.ttft_p50_ms),
        String(s.ttft_p99_ms),
        String(s.decode_tokens_per_s_p50),
        String(s.throughput_tokens_per_s),
      ]);
    }
    rows.push([
      String(l.concurrency),
      'full/direct',
      '',
      `x${l.ratio.ttft_p50}`,
      `x${l.ratio.ttft_p99}`,
      `x${l.ratio.decode_tokens_per_s}`,
      `x${l.ratio.throughput_tokens_per_s}`,
    ]);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ')).join('\n');
}
