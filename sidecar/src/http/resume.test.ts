// ORCH-4032: a client that reconnects with Last-Event-ID gets exactly the events it missed, then
// the live stream; the engine request outlives the broken connection only for the resume window.
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { SseParser } from '@llama-orch/contracts';
import type { RawSseEvent } from '@llama-orch/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseStore } from '../control/lease-store.js';
import type { TaskEventWriter } from '../sse/stream-writer.js';
import type { LeaseStream } from '../streaming/lease-stream.js';
import { createMetrics } from './metrics.js';
import { buildHttpServer } from './server.js';

const TASK = 'task-1';

interface Driven {
  writer: TaskEventWriter;
  gone: number;
  finish: () => void;
}

async function serve(resumeWindowMs: number) {
  const leases = new LeaseStore();
  const streams = new Map<string, Driven>();
  const app = buildHttpServer({
    leases,
    metrics: createMetrics({
      engine: 'llamacpp',
      engine_version: 'b1-x',
      pool_id: 'p',
      replica_id: 'r',
      model_digest: 'sha256:ab',
      canary_hash: 'cd',
    }),
    engine: 'llamacpp',
    resumeWindowMs,
    healthz: () => ({ ready: true, reason: '' }),
    // A stream the test drives by hand: started now, tokens and the end when the test says.
    openStream: (lease, writer) => {
      let finish = (): void => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));
      const driven: Driven = { writer, gone: 0, finish };
      streams.set(lease.leaseId, driven);
      return {
        run: async () => {
          writer.started({ queue_position: 0, predicted_start_ms: 0 });
          await done;
        },
        clientGone: () => {
          driven.gone++;
          writer.abandon();
          finish();
        },
      } as unknown as LeaseStream;
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const assign = (leaseId: string): void => {
    leases.accept({
      leaseId,
      task: { taskId: TASK } as never,
      queuePosition: 0,
      predictedStartMs: 0,
      kvWarmth: false,
    } as never);
  };
  return { app, port, streams, assign };
}

interface Reader {
  readonly res: IncomingMessage;
  readonly events: RawSseEvent[];
  /** Everything received, as text. */
  text(): string;
  waitFor(n: number): Promise<void>;
  readonly ended: Promise<void>;
}

function open(port: number, leaseId: string, headers: Record<string, string> = {}, query = '') {
  return new Promise<Reader>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: `/v1/tasks/${TASK}/stream${query}`,
        headers: { 'x-orch-lease-id': leaseId, ...headers },
      },
      (res) => {
        const parser = new SseParser();
        const events: RawSseEvent[] = [];
        let raw = '';
        let waiters: (() => void)[] = [];
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          raw += chunk;
          events.push(...parser.push(chunk));
          const w = waiters;
          waiters = [];
          w.forEach((f) => f());
        });
        const ended = new Promise<void>((r) => res.on('end', () => r()));
        const waitFor = async (n: number): Promise<void> => {
          for (let i = 0; i < 200 && events.length < n; i++) {
            await new Promise<void>((r) => {
              waiters.push(r);
              setTimeout(r, 10);
            });
          }
          if (events.length < n) throw new Error(`got ${events.length} events, wanted ${n}`);
        };
        resolve({ res, events, waitFor, ended, text: () => raw });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe('ORCH-4032: resumable streams (sidecar)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('ORCH-4032: a reconnect with Last-Event-ID gets exactly the missed events, then the live ones', async () => {
    const s = await serve(5_000);
    close = () => s.app.close();
    s.assign('L1');
    const first = await open(s.port, 'L1');
    const stream = s.streams.get('L1');
    if (!stream) throw new Error('no stream');
    stream.writer.token('a');
    stream.writer.token('b');
    await first.waitFor(3);
    first.res.destroy(); // the connection breaks after event id 2
    await settle();
    stream.writer.token('c'); // generated while nobody reads
    stream.writer.token('d');
    expect(stream.gone).toBe(0); // within the window the stream goes on

    const lastSeen = first.events.at(-1)?.id ?? '';
    const second = await open(s.port, 'L1', { 'last-event-id': lastSeen });
    expect(second.res.statusCode).toBe(200);
    await second.waitFor(2);
    stream.writer.token('e'); // live again
    stream.writer.end({ tokens_out: 5, decode_time_ms: 1, reason: 'stop' });
    stream.finish();
    await second.ended;

    const all = [...first.events, ...second.events];
    expect(all.map((e) => e.id)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    const tokens = all.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data) as object);
    expect(tokens).toEqual([
      { t: 'a', i: 0 },
      { t: 'b', i: 1 },
      { t: 'c', i: 2 },
      { t: 'd', i: 3 },
      { t: 'e', i: 4 },
    ]);
    expect(all.at(-1)?.event).toBe('end');

    // A finished stream stays readable within the window (?last_event_id= works as the header).
    const late = await open(s.port, 'L1', {}, '?last_event_id=5');
    await late.ended;
    expect(late.events.map((e) => [e.id, e.event])).toEqual([['6', 'end']]);

    // Without an id, routed back by placement, a reconnect gets the whole stream once.
    expect((await open(s.port, 'L1')).res.statusCode).toBe(403); // a bare reuse: ORCH-4012
    const again = await open(s.port, 'L1', { 'x-orch-resume': 'start' });
    await again.ended;
    expect(again.events.map((e) => e.id)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
  });

  it('ORCH-4032: an id never sent or not an integer is 400; the stream itself goes on', async () => {
    const s = await serve(5_000);
    close = () => s.app.close();
    s.assign('L2');
    const first = await open(s.port, 'L2');
    await first.waitFor(1);
    for (const [headers, query] of [
      [{ 'last-event-id': '7' }, ''],
      [{}, '?last_event_id=abc'],
    ] as const) {
      const bad = await open(s.port, 'L2', headers, query);
      await bad.ended;
      expect(bad.res.statusCode).toBe(400);
      expect(JSON.parse(bad.text())).toMatchObject({ code: 'INVALID_PARAMS', retriable: false });
    }
    s.streams.get('L2')?.writer.token('x');
    await first.waitFor(2);
    expect(first.events.map((e) => e.id)).toEqual(['0', '1']);
  });

  it('ORCH-4032: a client that does not come back within the window ends the stream (engine aborted)', async () => {
    const s = await serve(100);
    close = () => s.app.close();
    s.assign('L3');
    const first = await open(s.port, 'L3');
    await first.waitFor(1);
    first.res.destroy();
    await settle(20);
    expect(s.streams.get('L3')?.gone).toBe(0);
    await settle(250);
    expect(s.streams.get('L3')?.gone).toBe(1);
    const again = await open(s.port, 'L3', { 'last-event-id': '0' });
    expect(again.res.statusCode).toBe(403); // not resumable any more, never a stream with a gap
  });
});
