// A small reader for the Prometheus text exposition format (what /metrics serves): enough to
// compare families with the metrics contract and to sum counters. promtool does the strict lint.

interface Sample {
  /** Series name as written (`x_bucket`, `x_sum`, `x_count` for histograms). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescape(v: string): string {
  return v.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/** The family a series belongs to: histogram series carry a suffix the family name lacks. */
function familyOf(series: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(series);
  if (direct) return direct;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (!series.endsWith(suffix)) continue;
    const f = families.get(series.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
  }
  return undefined;
}

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    const f = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
    families.set(name, f);
    return f;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind = '', name = '', rest = ''] = meta;
      if (kind === 'TYPE') family(name).type = rest;
      else family(name).help = rest;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const [, name = '', labelText = '', value = ''] = m;
    const labels: Record<string, string> = {};
    for (const l of labelText.matchAll(LABEL)) labels[l[1] ?? ''] = unescape(l[2] ?? '');
    const f = familyOf(name, families) ?? family(name);
    f.samples.push({ name, labels, value: Number(value) });
  }
  return families;
}

/** Label names of a sample, without the histogram's own `le`. */
export function labelNames(sample: Sample): string[] {
  return Object.keys(sample.labels)
    .filter((k) => !(k === 'le' && sample.name.endsWith('_bucket')))
    .sort();
}

/** Sum of a series over every label set matching `where`. */
export function sum(
  families: Map<string, Family>,
  series: string,
  where: Record<string, string> = {},
): number {
  let total = 0;
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== series) continue;
      if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
  }
  return total;
}
