// CPU per relayed token, per component, for the side-by-side bench's concurrent levels. Each
// batch of c streams is bracketed by reads of /proc/<pid>/stat (utime + stime: user and kernel
// time, in clock ticks of 10 ms) for every process of the run, so the table says which process
// spends the CPU that a 2-core box then lacks for relaying. Linux only: elsewhere every figure
// reads 0. The bench process runs the engine simulators and the client of every path, so its row
// is the cost every path shares; the others are what a path adds.
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime, 100 on every Linux ABI (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS_PER_S = 100;

/** Component name → the pids whose CPU it sums (e.g. every sidecar). */
export type CpuGroups = Readonly<Record<string, readonly number[]>>;

/** CPU seconds a process has used; 0 when it is gone or /proc cannot be read. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): state is field 3; utime and stime
    // are fields 14 and 15 (proc(5)).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

export function sampleCpu(groups: CpuGroups): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) {
    out[name] = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  }
  return out;
}

/** Sums CPU seconds and tokens per path over the batches of one level. */
export class CpuLedger {
  private readonly cpu = new Map<string, Record<string, number>>();
  private readonly tokens = new Map<string, number>();

  add(
    path: string,
    before: Record<string, number>,
    after: Record<string, number>,
    tokens: number,
  ): void {
    const acc = this.cpu.get(path) ?? {};
    for (const [name, t] of Object.entries(after))
      acc[name] = (acc[name] ?? 0) + t - (before[name] ?? 0);
    this.cpu.set(path, acc);
    this.tokens.set(path, (this.tokens.get(path) ?? 0) + tokens);
  }

  /** Per path: component → µs of CPU per token relayed (rounded to 0.1). */
  perToken(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [path, acc] of this.cpu) {
      const n = this.tokens.get(path) ?? 0;
      if (n === 0) continue;
      out[path] = Object.fromEntries(
        Object.entries(acc).map(([name, s]) => [name, Math.round((s / n) * 1e7) / 10]),
      );
    }
    return out;
  }
}

/** The printed table: one row per path, one column per component, µs of CPU per token. */
export function cpuTable(
  concurrency: number,
  perToken: Readonly<Record<string, Readonly<Record<string, number>>>>,
  label: (path: string) => string,
): string {
  const paths = Object.keys(perToken);
  const components = [...new Set(paths.flatMap((p) => Object.keys(perToken[p] ?? {})))];
  const rows = [
    [`CPU µs per token, c=${concurrency}`, ...components, 'total'],
    ...paths.map((p) => {
      const row = perToken[p] ?? {};
      const total = components.reduce((sum, c) => sum + (row[c] ?? 0), 0);
      return [label(p), ...components.map((c) => (row[c] ?? 0).toFixed(1)), total.toFixed(1)];
    }),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  '),
    )
    .join('\n');
}
