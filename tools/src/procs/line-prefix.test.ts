import { describe, expect, it } from 'vitest';
import { LineSplitter, prefixedWriter } from './line-prefix.js';

describe('ORCH-5003: child logs are line-buffered and prefixed', () => {
  it('ORCH-5003: joins lines split across chunks and flushes the tail', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('hel');
    s.push('lo\nwor');
    s.push(Buffer.from('ld\r\nlast'));
    expect(lines).toEqual(['hello', 'world']);
    s.flush();
    expect(lines).toEqual(['hello', 'world', 'last']);
  });

  it('ORCH-5003: prefixes each line with the child name', () => {
    let out = '';
    prefixedWriter('envoy', (s) => (out += s))('ready');
    expect(out).toBe('[envoy] ready\n');
  });
});
