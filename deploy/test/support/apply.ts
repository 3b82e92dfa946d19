// Server-side apply with Strict field validation (ORCH-3110). The client library resolves each
// kind to its resource path (discovery) and supplies auth and TLS; the body goes as the exact
// JSON of the manifest, because the library's typed serializer drops fields it does not know,
// which would hide exactly the mistakes strict validation exists to catch.
import type { RequestOptions } from 'node:https';
import { request } from 'node:https';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

interface ApplyResult {
  ref: string;
  status: number;
  /** The API server's message for a rejection, and its warnings (Strict turns unknown fields into errors). */
  message: string;
}

export const refOf = (o: KubernetesObject): string =>
  `${o.kind}/${o.metadata?.namespace !== undefined ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`;

class Applier extends KubernetesObjectApi {
  kc!: KubeConfig;

  async apply(obj: KubernetesObject, fieldManager: string, dryRun = false): Promise<ApplyResult> {
    const path = await this.specUriPath(obj, 'patch');
    const server = new URL(this.kc.getCurrentCluster()?.server ?? '');
    const query = new URLSearchParams({ fieldManager, fieldValidation: 'Strict', force: 'true' });
    if (dryRun) query.set('dryRun', 'All');
    const opts: RequestOptions = {
      method: 'PATCH',
      host: server.hostname,
      port: server.port,
      path: `${path}?${query.toString()}`,
      headers: { 'content-type': 'application/apply-patch+yaml', accept: 'application/json' },
      timeout: 30_000,
    };
    await this.kc.applyToHTTPSOptions(opts);
    const body = JSON.stringify(obj);
    return new Promise((resolve, reject) => {
      const req = request(opts, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let message = '';
          try {
            message =
              status >= 300 ? ((JSON.parse(text) as { message?: string }).message ?? text) : '';
          } catch {
            message = text.slice(0, 500);
          }
          const warning = res.headers.warning;
          if (warning !== undefined) message = `${message} warning: ${String(warning)}`.trim();
          resolve({ ref: refOf(obj), status, message });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`apply ${refOf(obj)}: timeout`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}

export function makeApplier(kc: KubeConfig): Applier {
  const applier = kc.makeApiClient(Applier);
  applier.kc = kc;
  return applier;
}

/** Every document of a multi-document YAML stream as objects (empty documents dropped). */
export function parseObjects(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null && typeof o === 'object' && 'kind' in o);
}

/** Namespaces and CRDs before what lives in them. */
export function applyOrder(objs: readonly KubernetesObject[]): KubernetesObject[] {
  const rank = (o: KubernetesObject): number =>
    o.kind === 'Namespace' ? 0 : o.kind === 'CustomResourceDefinition' ? 1 : 2;
  return [...objs].sort((a, b) => rank(a) - rank(b));
}
