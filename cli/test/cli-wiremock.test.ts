// orchctl against WireMock stubs derived from the committed pact (a real WireMock JVM from the
// toolchain, programmed with wiremock-captain). Human output is pinned with snapshots: what an
// engineer sees for success, every typed error, the TTY spinner and Ctrl-C.
import { startWireMock } from '@llama-orch/test-harness/wiremock';
import type { WireMockServer } from '@llama-orch/test-harness/wiremock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { fakeIo } from './fake-io.js';
import type { FakeIoOptions } from './fake-io.js';
import { IDS, MODEL } from './pact-fixtures.js';
import { stubFromPact } from './pact-stubs.js';

let wm: WireMockServer;

async function cli(argv: string[], io: FakeIoOptions = {}) {
  const f = fakeIo(io);
  const code = await runCli([...argv, '--url', wm.url], f);
  return { code, stdout: f.out(), stderr: f.err() };
}

const submitArgs = (extra: string[] = []) =>
  [
    '-m',
    MODEL,
    '--task-id',
    IDS.submitted,
    '--session',
    IDS.session,
    '-n',
    '8',
    '--seed',
    '7',
  ].concat(extra, ['The capital of France is']);

describe('ORCH-3044: orchctl human output against pact-derived WireMock stubs', () => {
  beforeAll(async () => {
    wm = await startWireMock({ timeoutMs: 90_000 });
  }, 120_000);
  afterAll(async () => {
    await wm?.stop();
  }, 20_000);
  beforeEach(async () => {
    await wm.mock.clearAll();
  });

  it('ORCH-2001: submit prints the task id and the queue line', async () => {
    await stubFromPact(wm.mock, 'a task submission');
    expect(await cli(['submit', ...submitArgs()])).toMatchSnapshot();
  });

  it.each([
    ['ORCH-3014: 400', 'a task submission whose ctx exceeds the pool ctx_max'],
    ['ORCH-2007: 429', 'a task submission while the interactive queue is full'],
    ['ORCH-3018: 503', 'a task submission for a model no replica serves'],
  ])('%s renders a typed error with its exit code', async (_name, description) => {
    await stubFromPact(wm.mock, description);
    expect(await cli(['submit', ...submitArgs()])).toMatchSnapshot();
  });

  it('ORCH-2002: stream prints tokens and the summary (pipe)', async () => {
    await stubFromPact(wm.mock, 'the token stream of a queued task');
    expect(await cli(['stream', IDS.streamed])).toMatchSnapshot();
  });

  it('ORCH-2002: stream --json prints one event per line', async () => {
    await stubFromPact(wm.mock, 'the token stream of a queued task');
    expect(await cli(['stream', '--json', IDS.streamed])).toMatchSnapshot();
  });

  it('ORCH-3029: run on a TTY shows the queue spinner, tokens, summary', async () => {
    await stubFromPact(wm.mock, 'a task submission');
    await stubFromPact(wm.mock, 'the token stream of a queued task', {
      path: `/v1/tasks/${IDS.submitted}/stream`,
    });
    expect(await cli(['run', ...submitArgs()], { tty: true })).toMatchSnapshot();
  });

  it('ORCH-3042: run sends one traceparent on the submit and the stream; TRACEPARENT is continued', async () => {
    await stubFromPact(wm.mock, 'a task submission');
    await stubFromPact(wm.mock, 'the token stream of a queued task', {
      path: `/v1/tasks/${IDS.submitted}/stream`,
    });
    const traceOf = async (method: 'POST' | 'GET', path: string): Promise<string[]> =>
      (
        (await wm.mock.getRequestsForAPI(method, path)) as {
          request: { headers: Record<string, string> };
        }[]
      ).map((r) => r.request.headers.traceparent ?? r.request.headers.Traceparent ?? '');
    expect((await cli(['run', ...submitArgs()])).code).toBe(0);
    const [posted] = await traceOf('POST', '/v1/tasks');
    const [streamed] = await traceOf('GET', `/v1/tasks/${IDS.submitted}/stream`);
    expect(posted).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(streamed).toBe(posted);

    await wm.mock.clearAll();
    await stubFromPact(wm.mock, 'a task submission');
    const given = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect((await cli(['submit', ...submitArgs()], { env: { TRACEPARENT: given } })).code).toBe(0);
    expect(await traceOf('POST', '/v1/tasks')).toEqual([given]);
  });

  it('ORCH-2003: Ctrl-C during run cancels on the server and exits 130', async () => {
    await stubFromPact(wm.mock, 'a task submission');
    await stubFromPact(wm.mock, 'the token stream of a queued task', {
      path: `/v1/tasks/${IDS.submitted}/stream`,
      delayMs: 10_000,
    });
    await stubFromPact(wm.mock, 'a cancel of a queued task', {
      path: `/v1/tasks/${IDS.submitted}/cancel`,
    });
    const f = fakeIo();
    const running = runCli(['run', ...submitArgs(), '--url', wm.url], f);
    // Press Ctrl-C once the stream request is waiting at the (delayed) stub.
    for (let i = 0; i < 100; i++) {
      const seen = await wm.mock.getRequestsForAPI('GET', `/v1/tasks/${IDS.submitted}/stream`);
      if (seen.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    f.interrupt();
    const code = await running;
    const cancels = await wm.mock.getRequestsForAPI('POST', `/v1/tasks/${IDS.submitted}/cancel`);
    expect(cancels).toHaveLength(1);
    expect({ code, stdout: f.out(), stderr: f.err() }).toMatchSnapshot();
  });

  it.each([
    ['cancel', ['cancel', IDS.canceled], 'a cancel of a queued task'],
    ['cancel unknown', ['cancel', IDS.unknownTask], 'a cancel of an unknown task'],
    ['stream unknown', ['stream', IDS.unknownTask], 'the token stream of an unknown task'],
    ['session get', ['session', 'get', IDS.session], 'a session lookup'],
    ['session unknown', ['session', 'get', IDS.unknownSession], 'a lookup of an unknown session'],
    ['session delete', ['session', 'delete', IDS.sessionToDelete], 'a session deletion'],
    ['pools health', ['pools', 'health', 'default'], 'a pool health query'],
    ['caps', ['caps'], 'a capabilities query'],
    ['pools drain', ['pools', 'drain', '--deadline', '60000', 'standby'], 'a pool drain request'],
    [
      'pools reload',
      ['pools', 'reload', '--model', 'standby-model', 'standby'],
      'a pool reload request',
    ],
    ['pools undrain', ['pools', 'undrain', 'standby'], 'a pool undrain request'],
    [
      'pools reload unconfigured',
      ['pools', 'reload', '--model', 'not-a-configured-model', 'standby'],
      'a pool reload request for an unconfigured model',
    ],
  ])('ORCH-2003/2004/2005/2101/2102/2103/3095: %s', async (_name, argv, description) => {
    await stubFromPact(wm.mock, description);
    expect(await cli(argv)).toMatchSnapshot();
  });

  it.each([
    [
      'pools reload canary without replicas',
      ['pools', 'reload', '--model', 'standby-model', '--canary-share', '0.5', 'standby'],
      'a canary pool reload request for a pool without replicas',
    ],
    [
      'pools promote no canary',
      ['pools', 'promote', 'standby'],
      'a canary promote request with no canary held',
    ],
    [
      'pools rollback no canary',
      ['pools', 'rollback', 'standby'],
      'a canary rollback request with no canary held',
    ],
  ])('ORCH-3033: %s renders a typed error with its exit code', async (_name, argv, description) => {
    await stubFromPact(wm.mock, description);
    expect(await cli(argv)).toMatchSnapshot();
  });

  it('ORCH-2104: submit without --model uses the one model the fleet serves', async () => {
    await stubFromPact(wm.mock, 'a replica set listing');
    await stubFromPact(wm.mock, 'a task submission');
    const argv = submitArgs().filter((a, i, all) => a !== '-m' && all[i - 1] !== '-m');
    const r = await cli(['submit', ...argv]);
    expect(r.code).toBe(0);
    const posted = (await wm.mock.getRequestsForAPI('POST', '/v1/tasks')) as {
      request: { body: string };
    }[];
    expect(JSON.parse(posted[0]?.request.body ?? '{}')).toMatchObject({ model_ref: MODEL });
  });

  it('ORCH-2104: submit without --model while no replica is Ready says so (exit 2, no POST)', async () => {
    await wm.mock.register(
      { method: 'GET', endpoint: '/v1/replicasets' },
      { status: 200, headers: { 'content-type': 'application/json' }, body: { replica_sets: [] } },
    );
    const f = fakeIo();
    const argv = submitArgs().filter((a, i, all) => a !== '-m' && all[i - 1] !== '-m');
    expect(await runCli(['submit', ...argv, '--url', wm.url], f)).toBe(2);
    expect(f.err()).toContain('no Ready replica serves a model right now');
    expect(await wm.mock.getRequestsForAPI('POST', '/v1/tasks')).toHaveLength(0);
  });

  it('ORCH-5004: unreachable server and usage errors have their exit codes', async () => {
    const f = fakeIo();
    expect(await runCli(['caps', '--url', 'http://127.0.0.1:9'], f)).toBe(9);
    expect(f.err()).toContain('cannot reach http://127.0.0.1:9');
    expect(await cli(['submit'])).toMatchSnapshot();
    expect(await cli(['frobnicate'])).toMatchSnapshot();
  });
});
