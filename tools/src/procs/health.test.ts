import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthTimeoutError, waitForHttp } from './health.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function serve(status: () => number): Promise<string> {
  server = createServer((_req, res) => {
    res.statusCode = status();
    res.end();
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return `http://127.0.0.1:${addr.port}/health`;
}

describe('ORCH-5003: bounded health waits', () => {
  it('ORCH-5003: waits through 503 (loading) until 200', async () => {
    let n = 0;
    const url = await serve(() => (++n < 3 ? 503 : 200));
    await waitForHttp(url, { timeoutMs: 5_000, intervalMs: 20 });
    expect(n).toBe(3);
  });

  it('ORCH-5003: times out with the last result when never healthy', async () => {
    const url = await serve(() => 503);
    const err = await waitForHttp(url, { timeoutMs: 300, intervalMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HealthTimeoutError);
    expect((err as Error).message).toContain('HTTP 503');
  });

  it('ORCH-5003: gives up early when the process behind the URL dies', async () => {
    const t0 = Date.now();
    const err = await waitForHttp('http://127.0.0.1:1/health', {
      timeoutMs: 10_000,
      intervalMs: 20,
      abortOn: Promise.resolve('engine exited 1'),
    }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('engine exited 1');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
