// ORCH-3142, ORCH-3143: placement's control and ext_proc listeners with mutual TLS. A rogue
// sidecar (no TLS, no client certificate, a certificate of another CA) cannot register and so is
// never sent a task; a sidecar with a certificate of the configured CA registers; a rotated
// certificate is served without a restart.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, experimental } from '@grpc/grpc-js';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { connect } from 'node:tls';
import { createCa, issueCert, writeCertFiles } from '@llama-orch/tools';
import type { CertFiles } from '@llama-orch/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../src/index.js';
import type { GatewayHandle } from '../src/index.js';
import { startFakeSidecar } from './support/fake-sidecar.js';
import type { FakeSidecar } from './support/fake-sidecar.js';

const POOL = 'pool-a';
const MODEL = 'fake-model';

function mtls(files: CertFiles): ChannelCredentials {
  const provider = new experimental.FileWatcherCertificateProvider({
    caCertificateFile: files.ca,
    certificateFile: files.cert,
    privateKeyFile: files.key,
    refreshIntervalMs: 60_000,
  });
  return experimental.createCertificateProviderChannelCredentials(provider, provider);
}

describe(
  'ORCH-3142: a sidecar without valid credentials cannot register',
  { timeout: 60_000 },
  () => {
    let dir: string;
    let gateway: GatewayHandle;
    let placement: CertFiles;
    let good: CertFiles;
    let rogue: CertFiles;
    const ca = createCa('test-control-ca');
    const rogueCa = createCa('rogue-ca');
    const sidecars: FakeSidecar[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'control-mtls-'));
      placement = await writeCertFiles(
        join(dir, 'placement'),
        ca,
        issueCert(ca, {
          commonName: 'placement',
          dnsNames: ['localhost'],
          ips: ['127.0.0.1'],
          usage: 'server',
        }),
      );
      good = await writeCertFiles(
        join(dir, 'good'),
        ca,
        issueCert(ca, { commonName: 'sidecar', usage: 'client' }),
      );
      // Trusts placement's CA (so the server check passes) but presents a rogue CA's certificate.
      rogue = await writeCertFiles(
        join(dir, 'rogue'),
        ca,
        issueCert(rogueCa, { commonName: 'sidecar', usage: 'client' }),
      );
      gateway = await startGateway({
        restPort: 0,
        extProcPort: 0,
        controlPort: 0,
        logger: 'silent',
        scheduler: { pools: [{ id: POOL, engine: 'llamacpp', modelRef: MODEL, ctxMax: 2048 }] },
        tls: {
          caFile: placement.ca,
          certFile: placement.cert,
          keyFile: placement.key,
          refreshIntervalMs: 200,
        },
      });
    });

    afterAll(async () => {
      for (const s of sidecars) await s.close();
      await gateway?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const replicas = async (): Promise<string[]> => {
      const res = await fetch(`http://127.0.0.1:${gateway.restPort}/v1/pools/${POOL}/health`);
      const body = (await res.json()) as { replicas: { replica_id: string }[] };
      return body.replicas.map((r) => r.replica_id);
    };

    const attempt = (replicaId: string, creds: ChannelCredentials): Promise<FakeSidecar> =>
      startFakeSidecar({
        controlPort: gateway.controlPort,
        replicaId,
        poolId: POOL,
        modelRef: MODEL,
        credentials: creds,
        channelOptions: { 'grpc.ssl_target_name_override': 'localhost' },
        registerTimeoutMs: 3_000,
      });

    it('ORCH-3142: plaintext, TLS without a client certificate, and a foreign CA are refused', async () => {
      const caPem = Buffer.from(ca.certPem);
      const rogues: [string, ChannelCredentials][] = [
        ['rogue-plaintext', credentials.createInsecure()],
        ['rogue-no-cert', credentials.createSsl(caPem)],
        ['rogue-foreign-ca', mtls(rogue)],
      ];
      for (const [id, creds] of rogues) {
        await expect(attempt(id, creds), id).rejects.toThrow(/not registered within 3000 ms/);
      }
      expect(await replicas()).toEqual([]);
    });

    it('ORCH-3142: a certificate of the configured CA registers; only it can be given tasks', async () => {
      const ok = await attempt('sidecar-good', mtls(good));
      sidecars.push(ok);
      expect(await replicas()).toEqual(['sidecar-good']);
    });

    it('ORCH-3142: the ext_proc listener refuses a client without a certificate (Envoy presents one)', async () => {
      // A raw TLS handshake without a client certificate: the server must not complete it.
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({
          host: '127.0.0.1',
          port: gateway.extProcPort,
          ca: ca.certPem,
          servername: 'localhost',
          ALPNProtocols: ['h2'],
        });
        socket.once('secureConnect', () => {
          // TLS 1.3: the server reports a missing certificate after the client's Finished.
          socket.once('data', () => resolve('data'));
          socket.once('error', (e) => resolve(`error: ${e.message}`));
          socket.once('close', () => resolve('closed'));
        });
        socket.once('error', (e) => resolve(`error: ${e.message}`));
        setTimeout(() => resolve('timeout'), 3_000);
      });
      expect(outcome).toMatch(/^(error|closed)/);
    });

    it('ORCH-3143: a rotated serving certificate is served to new connections without a restart', async () => {
      const before = await servedSerial(gateway.controlPort, ca.certPem, good);
      const rotated = issueCert(ca, {
        commonName: 'placement-rotated',
        dnsNames: ['localhost'],
        ips: ['127.0.0.1'],
        usage: 'server',
      });
      await writeCertFiles(join(dir, 'placement'), ca, rotated);
      let after = before;
      for (let i = 0; i < 30 && after === before; i++) {
        await new Promise((r) => setTimeout(r, 200));
        after = await servedSerial(gateway.controlPort, ca.certPem, good);
      }
      expect(after).not.toBe(before);
      // And a sidecar still registers over the rotated certificate.
      const again = await attempt('sidecar-after-rotation', mtls(good));
      sidecars.push(again);
      expect(await replicas()).toContain('sidecar-after-rotation');
    });
  },
);

/** The serial number of the certificate the listener presents now. */
function servedSerial(port: number, caPem: string, client: CertFiles): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: caPem,
      servername: 'localhost',
      ALPNProtocols: ['h2'],
      cert: readFileSync(client.cert, 'utf8'),
      key: readFileSync(client.key, 'utf8'),
    });
    socket.once('secureConnect', () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.destroy();
      resolve(serial);
    });
    socket.once('error', reject);
  });
}
