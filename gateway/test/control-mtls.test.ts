// ORCH-3142, ORCH-3143: placement's control and ext_proc listeners with mutual TLS. A rogue
// sidecar (no TLS, no client certificate, a certificate of another CA) cannot register and so is
// never sent a task; a sidecar with a certificate of the configured CA registers; a rotated
// certificate is served without a restart. While rogues keep dialling, every task streamed through
// Envoy is served by the legitimate replica, and no rogue's control stream receives any command.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, experimental, status as Status } from '@grpc/grpc-js';
import type { ChannelCredentials, ServiceError } from '@grpc/grpc-js';
import { connect } from 'node:tls';
import { renderExtProcSdsFiles } from '@llama-orch/envoy';
import type { ExtProcTlsOptions } from '@llama-orch/envoy';
import { PlacementClient } from '@llama-orch/proto';
import type { PlacementCommand } from '@llama-orch/proto';
import { createCa, issueCert, writeCertFiles } from '@llama-orch/tools';
import type { CertFiles } from '@llama-orch/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../src/index.js';
import type { GatewayHandle } from '../src/index.js';
import { edgeTaskBody } from './support/edge-stack.js';
import { startEnvoyEdge } from './support/envoy-edge.js';
import { startFakeSidecar } from './support/fake-sidecar.js';
import type { FakeSidecar } from './support/fake-sidecar.js';
import { heartbeatMessage } from './support/sidecar-messages.js';
import { register } from './support/harness.js';

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

    it('ORCH-3142: while rogues keep trying to register, and after, every task goes to the legitimate replica; no rogue receives a command', async () => {
      const legit = sidecars[0];
      if (!legit) throw new Error('the legitimate sidecar did not register (previous test)');
      const envoyCerts = await writeCertFiles(
        join(dir, 'envoy'),
        ca,
        issueCert(ca, { commonName: 'envoy', usage: 'client' }),
      );
      const extProcTls: ExtProcTlsOptions = {
        caFile: envoyCerts.ca,
        certFile: envoyCerts.cert,
        keyFile: envoyCerts.key,
        serverName: 'localhost',
        sdsDir: join(dir, 'envoy-sds'),
      };
      mkdirSync(extProcTls.sdsDir, { recursive: true });
      for (const [name, text] of Object.entries(renderExtProcSdsFiles(extProcTls))) {
        writeFileSync(join(extProcTls.sdsDir, name), text);
      }
      const edge = await startEnvoyEdge(gateway, extProcTls);
      const caPem = Buffer.from(ca.certPem);
      const rogues = await Promise.all([
        startRogue(gateway.controlPort, 'rogue-plaintext', credentials.createInsecure()),
        startRogue(gateway.controlPort, 'rogue-no-cert', credentials.createSsl(caPem)),
        startRogue(gateway.controlPort, 'rogue-foreign-ca', mtls(rogue)),
      ]);
      const served: string[] = [];
      const runTask = async (): Promise<void> => {
        const taskId = randomUUID();
        const admitted = await fetch(`${edge.url}/v1/tasks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(edgeTaskBody(taskId)),
        });
        expect(admitted.status, await admitted.clone().text()).toBe(202);
        const res = await fetch(`${edge.url}/v1/tasks/${taskId}/stream`);
        const text = await res.text();
        expect(res.status, text).toBe(200);
        expect(text).toContain('event: end');
        served.push(taskId);
      };
      try {
        // While the rogues dial (each advertises 8 free slots, the legitimate replica one): until
        // every rogue saw at least three attempts end, bounded in tasks.
        while (rogues.some((r) => r.refused < 3) && served.length < 40) await runTask();
        for (const r of rogues) await r.stop();
        // After they gave up.
        for (let i = 0; i < 2; i++) await runTask();
      } finally {
        for (const r of rogues) await r.stop();
        await edge.close();
      }
      expect(served.length).toBeGreaterThan(2);
      const legitTasks = legit.assigns.map((a) => a.task?.taskId);
      for (const taskId of served) {
        expect(legitTasks, `task ${taskId} not assigned to the legitimate replica`).toContain(
          taskId,
        );
        expect(legit.requests.some((r) => r.url.includes(taskId))).toBe(true);
      }
      for (const r of rogues) {
        // Every attempt was refused, none got a single command (no Ack, no Assign), and no
        // stream was ever routed to the rogue's advertised address.
        expect(r.refused, r.id).toBeGreaterThanOrEqual(3);
        expect(r.refused, r.id).toBe(r.attempts);
        const assigns = r.commands.filter((c) => c.cmd?.$case === 'assign');
        expect(assigns, `${r.id} was sent Assign`).toEqual([]);
        expect(r.commands, r.id).toEqual([]);
        expect(r.httpRequests, r.id).toBe(0);
        // Refused at the transport: the stream never opened (no status from placement's code).
        for (const code of r.codes)
          expect([Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED]).toContain(code);
      }
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

interface Rogue {
  readonly id: string;
  /** Control streams opened (one Register each). */
  attempts: number;
  /** Control streams that ended in an error (refused). */
  refused: number;
  /** How each ended attempt ended (gRPC status codes). */
  readonly codes: number[];
  /** Every command any of its control streams received. */
  readonly commands: PlacementCommand[];
  /** Requests that reached the address its Register advertised. */
  httpRequests: number;
  stop(): Promise<void>;
}

/**
 * A sidecar without valid credentials that keeps trying: it opens a control stream, sends
 * Register and a Heartbeat with 8 free slots, and when the stream fails dials again (every 100
 * ms) until stopped. It records every command it receives and every request to its address.
 */
async function startRogue(
  controlPort: number,
  id: string,
  creds: ChannelCredentials,
): Promise<Rogue> {
  const server = createServer((_req, res) => {
    rogue.httpRequests += 1;
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const address = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const client = new PlacementClient(`127.0.0.1:${controlPort}`, creds, {
    'grpc.ssl_target_name_override': 'localhost',
  });
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let current: ReturnType<PlacementClient['connect']> | undefined;
  let inFlight = false;
  const dial = (): void => {
    if (stopped) return;
    rogue.attempts += 1;
    // Bounded, so an attempt the transport holds open (it never completes the handshake) ends too.
    const call = client.connect({ deadline: Date.now() + 1_000 });
    current = call;
    inFlight = true;
    const again = (refused: boolean): void => {
      if (!inFlight || current !== call) return;
      inFlight = false;
      if (refused) rogue.refused += 1;
      retry = setTimeout(dial, 100);
    };
    call.on('data', (cmd: PlacementCommand) => rogue.commands.push(cmd));
    call.on('error', (e: ServiceError) => {
      rogue.codes.push(e.code);
      again(true);
    });
    call.on('end', () => again(false));
    call.write({
      msg: {
        $case: 'register',
        value: register({
          replicaId: id,
          poolId: POOL,
          engineVersion: 'fake-1',
          modelRef: MODEL,
          modelDigest: 'sha256:' + '0'.repeat(64),
          advertiseAddress: address,
          canaryHash: 'fake',
          slots: 8,
        }),
      },
    });
    call.write(heartbeatMessage(8));
  };
  const rogue: Rogue = {
    id,
    attempts: 0,
    refused: 0,
    codes: [],
    commands: [],
    httpRequests: 0,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(retry);
      if (inFlight) {
        // Abandoned before placement answered: not an attempt that was refused or let in.
        inFlight = false;
        rogue.attempts -= 1;
      }
      current?.cancel();
      client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  dial();
  return rogue;
}
