// A real Kubernetes control plane for tests (ORCH-3110): etcd and kube-apiserver from the
// toolchain cache, on loopback ports, with a temp data dir and certificates made here. No kubelet,
// scheduler or controllers: Pods are admitted and stored, never run. Authentication is a static
// bearer token (member of system:masters) that exists only in the temp dir; authorization is RBAC.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { SupervisedChild } from '@llama-orch/tools';
import { Supervisor, freePorts, loadKubeControlPlane } from '@llama-orch/tools';

export interface ControlPlane {
  kubeConfig: KubeConfig;
  server: string;
  /** Bounded wait for an HTTPS path of the API server; resolves with the status. */
  get(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
  /** What the apiserver printed last (for failure messages). */
  tail(): string;
}

function httpsGet(
  server: string,
  path: string,
  ca: string,
  token: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, server);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        ca,
        headers: { authorization: `Bearer ${token}` },
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export async function startControlPlane(
  opts: { log?: (s: string) => void; startTimeoutMs?: number } = {},
): Promise<ControlPlane> {
  const cp = await loadKubeControlPlane();
  const dir = await mkdtemp(join(tmpdir(), 'llama-orch-kube-'));
  const sup = new Supervisor({
    write: opts.log ?? (() => undefined),
    graceMs: 5_000,
    tailLines: 60,
  });
  const children: SupervisedChild[] = [];
  const stop = async (): Promise<void> => {
    // API server first (it holds etcd connections), then etcd, then the data dir.
    for (const c of [...children].reverse()) await c.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [etcdClient, etcdPeer, apiPort] = await freePorts(3);
    const etcd = sup.start({
      name: 'etcd',
      cmd: cp.etcd.bin,
      args: [
        '--name=test',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=test=http://127.0.0.1:${etcdPeer}`,
        '--listen-metrics-urls=',
        // A throwaway store: skip fsync so a test on 2 shared cores is not I/O bound.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
    });
    children.push(etcd);
    const token = randomBytes(24).toString('hex');
    await writeFile(join(dir, 'tokens.csv'), `${token},llama-orch-test,uid-1,"system:masters"\n`, {
      mode: 0o600,
    });
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    await writeFile(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
    const certDir = join(dir, 'certs');
    const kas = sup.start({
      name: 'kube-apiserver',
      cmd: cp.kubeApiserver.bin,
      args: [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        // The API server makes its own self-signed serving cert for localhost/127.0.0.1 here.
        `--cert-dir=${certDir}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--anonymous-auth=false',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        // No controller-manager creates the `default` ServiceAccount, so that admission plugin
        // would refuse every Pod; the mutating webhook admission stays on.
        '--disable-admission-plugins=ServiceAccount',
        '--endpoint-reconciler-type=none',
        '--profiling=false',
        '--v=0',
      ],
    });
    children.push(kas);
    const server = `https://127.0.0.1:${apiPort}`;
    const deadline = Date.now() + (opts.startTimeoutMs ?? 90_000);
    let ca = '';
    let last = '';
    for (;;) {
      if (!etcd.isRunning() || !kas.isRunning()) {
        throw new Error(
          `control plane exited:\n${etcd.tail().join('\n')}\n${kas.tail().join('\n')}`,
        );
      }
      if (Date.now() > deadline)
        throw new Error(
          `kube-apiserver not ready in time (last: ${last})\n${kas.tail().join('\n')}`,
        );
      try {
        ca = ca || (await readFile(join(certDir, 'apiserver.crt'), 'utf8'));
        const r = await httpsGet(server, '/readyz', ca, token);
        last = `${r.status} ${r.body.slice(0, 200)}`;
        if (r.status === 200) break;
      } catch (e) {
        last = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'test', server, caData: Buffer.from(ca).toString('base64'), skipTLSVerify: false },
      ],
      users: [{ name: 'admin', token }],
      contexts: [{ name: 'test', cluster: 'test', user: 'admin' }],
      currentContext: 'test',
    });
    return {
      kubeConfig: kc,
      server,
      get: (path) => httpsGet(server, path, ca, token),
      stop,
      tail: () => kas.tail().join('\n'),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
