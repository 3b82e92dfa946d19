import { describe, expect, it } from 'vitest';
import { contractDiff, loadContract } from './contract.js';
import { parseExposition } from './exposition.js';

const contract = loadContract();

describe('ORCH-3028: contractDiff finds every kind of drift', () => {
  it('ORCH-3028: a correct sidecar scrape has no findings', () => {
    const ok = parseExposition(
      contract.metrics
        .filter((m) => m.exporter === 'sidecar')
        .map((m) => `# TYPE ${m.name} ${m.type}`)
        .join('\n'),
    );
    expect(contractDiff(contract, 'sidecar', ok)).toEqual([]);
  });

  it('ORCH-3028: missing, unspecified, mistyped, mislabelled and mis-bucketed families fail', () => {
    const text = [
      '# TYPE tasks_enqueued_total gauge',
      'tasks_enqueued_total{engine="llamacpp",pool_id="p",priority="batch"} 1',
      '# TYPE latency_decode_ms histogram',
      'latency_decode_ms_bucket{engine="e",engine_version="v",pool_id="p",priority="batch",le="1"} 1',
      'latency_decode_ms_bucket{engine="e",engine_version="v",pool_id="p",priority="batch",le="+Inf"} 1',
      '# TYPE process_cpu_seconds_total counter',
    ].join('\n');
    const found = contractDiff(contract, 'gateway', parseExposition(text));
    expect(found).toContain('tasks_enqueued_total: type gauge, spec counter');
    expect(
      found.some((f) => f.startsWith('tasks_enqueued_total: labels {engine,pool_id,priority}')),
    ).toBe(true);
    expect(found.some((f) => f.startsWith('latency_decode_ms: buckets 1,+Inf'))).toBe(true);
    expect(found).toContain('process_cpu_seconds_total: not in the gateway rows of the spec');
    expect(found).toContain('queue_depth: missing');
  });
});
