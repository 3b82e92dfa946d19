// The side-by-side bench's per-hop pass: single requests per path, each timed hop by hop from
// Envoy's access-log COMMON_DURATION fields (the edge's, the floor's or the shape floor's),
// placement's ext_proc hold (placement_extproc_hold_ms, sum delta per request) and the in-process
// engine-sim marks, all on the client's clock; medians per hop and path.
import type { SimStack } from '../../engine-sim/sim-stack.js';
import { metricSum, scrape, settle } from '../placement-metrics.js';
import type { EnvoyFloor } from './envoy-floor.js';
import { med } from './report.js';
import type { HopRow } from './report.js';
import { PATHS, rotated, runPath, ttftMs } from './runners.js';
import type { PathName, Targets } from './runners.js';
import type { ShapeFloor } from './shape-floor.js';

interface AccessLine {
  path: string;
  correlation_id: string;
  filters_us: number | string;
  upstream_first_byte_us: number | string;
  relay_first_byte_us: number | string;
}

/** The access-log line of a request (Envoy flushes on its own schedule: bounded 15 s poll). */
async function accessLine(
  tail: () => string[],
  correlationId: string,
  pathPart: string,
): Promise<AccessLine | undefined> {
  for (let i = 0; i < 300; i++) {
    for (const line of tail()) {
      if (!line.includes(correlationId)) continue;
      try {
        const j = JSON.parse(line.slice(line.indexOf('{'))) as AccessLine;
        if (j.correlation_id === correlationId && j.path.includes(pathPart)) return j;
      } catch {
        // not a JSON line
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

const us = (v: number | string | undefined): number =>
  typeof v === 'number' ? v / 1000 : Number.NaN;

export async function perHop(
  requests: number,
  s: SimStack,
  floor: EnvoyFloor,
  shape: ShapeFloor,
  t: Targets,
): Promise<HopRow[]> {
  type Marks = Record<string, number[]>;
  const marks: Partial<Record<PathName, Marks>> = {};
  const add = (p: PathName, key: string, v: number): void => {
    ((marks[p] ??= {})[key] ??= []).push(v);
  };
  let seed = 90_000;
  const pending: { p: PathName; id: string }[] = [];
  for (let i = 0; i < requests; i++) {
    for (const p of rotated(i)) {
      seed += 1;
      const viaEdge = p === 'full' || p === 'openai';
      if (viaEdge) await settle(s, 10, 5_000);
      const before = viaEdge ? await scrape(`${s.restUrl}/metrics`) : '';
      const x = await runPath(t, p, 0, seed);
      const sim = [...s.sims].sort((a, b) => b.engine.last.requestAt - a.engine.last.requestAt)[0];
      const engineAt = sim?.engine.last.requestAt ?? NaN;
      const engineFirst = sim?.engine.last.firstTokenAt ?? NaN;
      add(p, 'ttft', ttftMs(x));
      add(p, 'toEngine', engineAt - x.t0);
      add(p, 'engineTtft', engineFirst - engineAt);
      add(p, 'relay', x.firstAt - engineFirst);
      if (x.admittedAt !== undefined) {
        add(p, 'submit', x.admittedAt - x.t0);
        add(p, 'getToEngine', engineAt - x.admittedAt);
      }
      if (viaEdge) {
        const after = await scrape(`${s.restUrl}/metrics`);
        const hold = 'placement_extproc_hold_ms_sum';
        add(p, 'hold', metricSum(after, hold) - metricSum(before, hold));
      }
      if (p === 'floor' || p === 'shape' || viaEdge) pending.push({ p, id: x.correlationId });
    }
  }
  // Envoy flushes its access log every 10 s (--file-flush-interval-msec): match lines at the end.
  for (const { p, id } of pending) {
    const tail = p === 'floor' ? floor.tail : p === 'shape' ? shape.tail : () => s.tail('envoy');
    const line = await accessLine(tail, id, p === 'full' || p === 'shape' ? '/stream' : '/');
    add(p, 'filters', us(line?.filters_us));
    add(p, 'upstreamFirst', us(line?.upstream_first_byte_us));
    add(p, 'relayFirst', us(line?.relay_first_byte_us));
  }
  const row = (hop: string, key: string): HopRow => {
    const r: HopRow = { hop };
    for (const p of PATHS) {
      const v = marks[p]?.[key];
      if (v && v.some(Number.isFinite)) r[p] = med(v);
    }
    return r;
  };
  return [
    row('submission POST /v1/tasks (202)', 'submit'),
    row('client request -> engine receives it', 'toEngine'),
    row('  of it: stream GET -> engine receives it', 'getToEngine'),
    row('  Envoy: request in -> upstream request out', 'filters'),
    row('  placement: ext_proc reply held', 'hold'),
    row('  Envoy: upstream out -> first upstream byte', 'upstreamFirst'),
    row('  Envoy: first upstream byte -> relayed', 'relayFirst'),
    row('engine: request -> first token (fixed)', 'engineTtft'),
    row('engine first token -> client', 'relay'),
    row('TTFT at the client', 'ttft'),
  ];
}
