// Runs the real Envoy binary in --mode validate on every bootstrap shape the project generates.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createCa, issueCert, loadToolchain, writeCertFiles } from '@llama-orch/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEnvoyBootstrap } from './bootstrap.js';
import type { EnvoyBootstrapOptions } from './bootstrap.js';
import { renderExtProcSdsFiles } from './ext-proc-tls.js';
import { envoyOptionsFromListen } from './from-config.js';

const run = promisify(execFile);

const VARIANTS: Record<string, EnvoyBootstrapOptions> = {
  defaults: {},
  'custom ports, access log, short hold': {
    listenPort: 18080,
    adminPort: 19901,
    restPort: 18081,
    extProcPort: 19002,
    extProcMessageTimeoutMs: 30_000,
    streamIdleTimeoutMs: 120_000,
    restTimeoutMs: 5_000,
    connectTimeoutMs: 250,
    accessLog: true,
  },
  'max hold': { extProcMessageTimeoutMs: 3_600_000 },
  'OpenTelemetry tracing to a literal address': {
    accessLog: true,
    tracing: { endpoint: 'http://127.0.0.1:4318', samplingPercent: 10 },
  },
  'OpenTelemetry tracing to a host name': { tracing: { endpoint: 'http://collector:4318/' } },
  'from the local config listen block': envoyOptionsFromListen({
    host: '127.0.0.1',
    envoy_port: 8080,
    envoy_admin_port: 9901,
    rest_port: 8081,
    ext_proc_port: 9002,
  }),
};

describe('envoy --mode validate', () => {
  let envoyBin = '';
  let dir = '';
  beforeAll(async () => {
    envoyBin = (await loadToolchain()).envoy.bin;
    dir = await mkdtemp(join(tmpdir(), 'orch-envoy-validate-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(Object.entries(VARIANTS))(
    'ORCH-4001/ORCH-4002: bootstrap "%s" is accepted by the real Envoy',
    async (name, options) => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
      await writeFile(file, renderEnvoyBootstrap(options));
      const { stdout, stderr } = await run(
        envoyBin,
        ['--mode', 'validate', '-c', file, '--log-level', 'warn', '--use-dynamic-base-id'],
        { timeout: 30_000 },
      );
      expect(`${stdout}${stderr}`).toContain('OK');
    },
    40_000,
  );

  // --mode validate does not open SDS sources: what the SDS files say is proven by every stack
  // test instead (startStack runs Envoy with them, and ext_proc refuses a client without its cert).
  it('ORCH-3142: the ext_proc mTLS bootstrap is accepted by the real Envoy', async () => {
    const ca = createCa('validate-ca');
    const certs = await writeCertFiles(
      join(dir, 'edge-tls'),
      ca,
      issueCert(ca, { commonName: 'edge', usage: 'client' }),
    );
    const tls = {
      caFile: certs.ca,
      certFile: certs.cert,
      keyFile: certs.key,
      serverName: 'localhost',
      sdsDir: dir,
    };
    for (const [name, text] of Object.entries(renderExtProcSdsFiles(tls))) {
      await writeFile(join(dir, name), text);
    }
    const file = join(dir, 'ext-proc-mtls.yaml');
    await writeFile(file, renderEnvoyBootstrap({ extProcTls: tls }));
    const { stdout, stderr } = await run(
      envoyBin,
      ['--mode', 'validate', '-c', file, '--log-level', 'warn', '--use-dynamic-base-id'],
      { timeout: 30_000 },
    );
    expect(`${stdout}${stderr}`).toContain('OK');
  }, 40_000);

  it('ORCH-4001: a broken bootstrap is rejected (the check can fail)', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(
      file,
      renderEnvoyBootstrap().replace('original_dst_lb_config', 'original_dst_lb_cfg'),
    );
    await expect(
      run(envoyBin, ['--mode', 'validate', '-c', file, '--use-dynamic-base-id'], {
        timeout: 30_000,
      }),
    ).rejects.toThrow();
  }, 40_000);
});
