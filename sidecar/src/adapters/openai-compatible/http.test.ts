// postStream over a keep-alive pool: the race where the engine closes an idle connection just as a
// request is written on it must not surface as an engine failure (ORCH-2028 is for real ones).
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getText, postStream } from './http.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('ORCH-2028: postStream keep-alive', () => {
  it('ORCH-2028: a reused socket the engine already dropped is retried once on a fresh one', async () => {
    const served = new Set<Socket>();
    let requests = 0;
    server = createServer((req, res: ServerResponse) => {
      requests += 1;
      // The second request on a connection that already served one: drop it unanswered, as an
      // engine whose keep-alive timer fired at that moment does.
      if (served.has(req.socket)) {
        req.socket.destroy();
        return;
      }
      served.add(req.socket);
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const a = server.address();
    const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/completion`;

    const first = await postStream(url, '{}', undefined);
    expect(await first.text()).toBe('ok');
    // Same pool, so the warm socket is reused; the engine drops it; the retry gets a fresh one.
    const second = await postStream(url, '{}', undefined);
    expect(await second.text()).toBe('ok');
    expect(requests).toBe(3);
  });

  it('ORCH-2028: a probe and the next stream request share one warm connection to the engine', async () => {
    const connections = new Set<Socket>();
    server = createServer((req, res: ServerResponse) => {
      connections.add(req.socket);
      req.resume();
      req.on('end', () => res.end(req.method === 'GET' ? '{"status":"ok"}' : 'ok'));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const a = server.address();
    const base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;

    expect(await getText(`${base}/health`)).toEqual({ status: 200, body: '{"status":"ok"}' });
    const stream = await postStream(`${base}/completion`, '{}', undefined);
    expect(await stream.text()).toBe('ok');
    // The heartbeat's probe kept the connection the stream request then used (issue 19).
    expect(connections.size).toBe(1);
  });
});
