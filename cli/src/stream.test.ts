// orchctl stream on streams the contract forbids or that end in an error: never a silent success.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeIo } from '../test/fake-io.js';
import { runCli } from './cli.js';

const bodies: Record<string, { type: string; body: string }> = {
  error: {
    type: 'text/event-stream',
    body:
      'event: started\ndata: {"queue_position":0,"predicted_start_ms":0}\n\n' +
      'event: token\ndata: {"t":"Hi","i":0}\n\n' +
      'event: error\ndata: {"code":"WORKER_RESET","message":"engine restarted","engine":"llamacpp","retriable":true,"retry_after_ms":1000}\n\n',
  },
  cut: {
    type: 'text/event-stream',
    body: 'event: started\ndata: {"queue_position":0,"predicted_start_ms":0}\n\nevent: tok',
  },
  html: { type: 'text/html', body: '<html>proxy error</html>' },
  invalid: { type: 'text/event-stream', body: 'event: token\ndata: {"t":1}\n\n' },
  canceled: {
    type: 'text/event-stream',
    body: 'event: end\ndata: {"tokens_out":0,"decode_time_ms":0,"reason":"canceled"}\n\n',
  },
};

let server: Server;
let url = '';

describe('ORCH-2028/2029/2034: orchctl stream failure modes', () => {
  beforeAll(async () => {
    server = createServer((req, res) => {
      const key = req.url?.split('/')[3] ?? '';
      const b = bodies[key];
      res.writeHead(b ? 200 : 404, { 'content-type': b?.type ?? 'application/json' });
      res.end(b?.body ?? '{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function stream(id: string) {
    const io = fakeIo();
    const code = await runCli(['stream', id, '--url', url], io);
    return { code, out: io.out(), err: io.err() };
  }

  it('an error event ends the run with its class (WORKER_RESET → 8) and a retry hint', async () => {
    const r = await stream('error');
    expect(r.code).toBe(8);
    expect(r.out).toBe('Hi\n');
    expect(r.err).toContain('the engine restarted during the task (WORKER_RESET, in stream)');
    expect(r.err).toContain('retriable: submit again in 1.0 s');
  });

  it('a stream cut before its terminal event is a failure, not a success', async () => {
    const r = await stream('cut');
    expect(r.code).toBe(1);
    expect(r.err).toContain('stream closed before its terminal event');
  });

  it('a non-SSE answer is a protocol failure', async () => {
    expect((await stream('html')).err).toContain('not an SSE stream');
  });

  it('an event that breaks its schema is rejected', async () => {
    const r = await stream('invalid');
    expect(r.code).toBe(1);
    expect(r.err).toContain('SSE token event');
  });

  it('a task canceled elsewhere exits 10', async () => {
    expect((await stream('canceled')).code).toBe(10);
  });
});
