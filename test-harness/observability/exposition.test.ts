import { describe, expect, it } from 'vitest';
import { labelNames, parseExposition, sum } from './exposition.js';

const TEXT = `# HELP tokens_out_total Tokens.
# TYPE tokens_out_total counter
tokens_out_total{engine="llamacpp",replica_id="r0"} 5
tokens_out_total{engine="llamacpp",replica_id="r1"} 7
# HELP lat_ms Latency.
# TYPE lat_ms histogram
lat_ms_bucket{le="50",pool_id="p"} 1
lat_ms_bucket{le="+Inf",pool_id="p"} 2
lat_ms_sum{pool_id="p"} 70
lat_ms_count{pool_id="p"} 2
# HELP empty_total Nothing yet.
# TYPE empty_total counter
`;

describe('ORCH-3028: exposition reader used by the metrics contract test', () => {
  it('ORCH-3028: groups histogram series under their family and sums counters', () => {
    const f = parseExposition(TEXT);
    expect([...f.keys()]).toEqual(['tokens_out_total', 'lat_ms', 'empty_total']);
    expect(f.get('lat_ms')?.samples).toHaveLength(4);
    expect(f.get('empty_total')?.samples).toHaveLength(0);
    expect(sum(f, 'tokens_out_total')).toBe(12);
    expect(sum(f, 'tokens_out_total', { replica_id: 'r1' })).toBe(7);
    const bucket = f.get('lat_ms')?.samples[0];
    expect(bucket && labelNames(bucket)).toEqual(['pool_id']);
  });

  it('ORCH-3028: rejects a line that is not exposition format', () => {
    expect(() => parseExposition('not a metric line at all {')).toThrow(/unparsable/);
  });
});
