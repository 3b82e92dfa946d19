// Starts the injection webhook: TLS material (cert-manager's mounted secret when present, else a
// self-signed CA made now), the HTTPS server, then the caBundle patch so the API server trusts it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { patchCaBundle } from './ca-bundle.js';
import type { InjectorConfig } from './inject.js';
import { buildWebhookServer } from './server.js';
import type { ServingTls } from './tls.js';
import { selfSignedServingTls } from './tls.js';

export interface StartWebhookOptions {
  host: string;
  port: number;
  injector: InjectorConfig;
  /** DNS names / IPs the serving cert covers (ignored with tlsDir). */
  dnsNames: string[];
  ips?: string[];
  /** cert-manager mode: a dir with tls.crt, tls.key and ca.crt; caBundle is then cert-manager's job. */
  tlsDir?: string;
  /** Self-signed mode: patch this MutatingWebhookConfiguration's caBundle after listening. */
  patchConfigName?: string;
  kubeConfig?: KubeConfig;
  log?: (msg: string) => void;
}

export interface WebhookHandle {
  port: number;
  /** PEM of the CA the serving cert chains to. */
  caCert: string;
  close(): Promise<void>;
}

async function tlsFromDir(dir: string): Promise<ServingTls> {
  const [cert, key, caCert] = await Promise.all(
    ['tls.crt', 'tls.key', 'ca.crt'].map((f) => readFile(join(dir, f), 'utf8')),
  );
  return { cert: cert ?? '', key: key ?? '', caCert: caCert ?? '' };
}

export async function startWebhook(opts: StartWebhookOptions): Promise<WebhookHandle> {
  const log = opts.log ?? ((m: string) => process.stdout.write(`${m}\n`));
  const tls =
    opts.tlsDir !== undefined
      ? await tlsFromDir(opts.tlsDir)
      : selfSignedServingTls(opts.dnsNames, opts.ips ?? []);
  const app = buildWebhookServer({
    injector: opts.injector,
    https: { key: tls.key, cert: tls.cert },
    log,
  });
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
  if (opts.tlsDir === undefined && opts.patchConfigName !== undefined) {
    const kc = opts.kubeConfig ?? fromCluster();
    const n = await patchCaBundle(kc, opts.patchConfigName, tls.caCert);
    log(`caBundle of MutatingWebhookConfiguration ${opts.patchConfigName} set (${n} webhooks)`);
  }
  return { port, caCert: tls.caCert, close: () => app.close() };
}

function fromCluster(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromCluster();
  return kc;
}
