import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts } from './free-port.js';

describe('ORCH-5003: free loopback ports for tests and up', () => {
  it('ORCH-5003: freePort returns a bindable port', async () => {
    const port = await freePort();
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => srv.close(r));
  });

  it('ORCH-5003: freePorts returns distinct ports', async () => {
    const ports = await freePorts(4);
    expect(new Set(ports).size).toBe(4);
    for (const p of ports) expect(p).toBeGreaterThan(0);
  });
});
