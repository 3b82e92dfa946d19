import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { afterAll, describe, expect, it } from 'vitest';
import type { InjectorConfig } from './inject.js';
import { DEFAULT_SIDECAR_COMMAND } from './inject.js';
import type { AdmissionReview, JsonPatchOp } from './pod-types.js';
import { buildWebhookServer } from './server.js';
import { selfSignedServingTls } from './tls.js';

const injector: InjectorConfig = {
  sidecarImage: 'img',
  placementAddress: 'placement:9003',
  sidecarPort: 8100,
  strict: true,
  sidecarCommand: DEFAULT_SIDECAR_COMMAND,
};

const reviewOf = (object: unknown): AdmissionReview => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u-1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation: 'CREATE',
    namespace: 'ns',
    object: object as never,
  },
});

describe('ORCH-3111: AdmissionReview over HTTP', () => {
  const logs: string[] = [];
  const app = buildWebhookServer({ injector, log: (m) => logs.push(m) });
  afterAll(() => app.close());

  it('ORCH-3111: answers a labelled pod with a base64 JSONPatch carrying the uid', async () => {
    const pod = {
      metadata: {
        name: 'w',
        labels: { 'llama-orch.io/engine': 'vllm' },
        annotations: { 'llama-orch.io/model-ref': 'M' },
      },
      spec: { containers: [{ name: 'vllm', env: [{ name: 'HF_TOKEN', value: 'secret-value' }] }] },
    };
    const res = await app.inject({ method: 'POST', url: '/mutate', payload: reviewOf(pod) });
    expect(res.statusCode).toBe(200);
    const body = res.json<AdmissionReview>();
    expect(body.kind).toBe('AdmissionReview');
    expect(body.response?.uid).toBe('u-1');
    expect(body.response?.allowed).toBe(true);
    expect(body.response?.patchType).toBe('JSONPatch');
    const patch = JSON.parse(
      Buffer.from(body.response?.patch ?? '', 'base64').toString(),
    ) as JsonPatchOp[];
    expect(patch.map((p) => p.path)).toEqual([
      '/spec/containers/-',
      '/spec/volumes',
      '/metadata/annotations/llama-orch.io~1sidecar-injected',
    ]);
    // Pod env may carry secrets: the log line names the pod and the outcome only.
    expect(logs.join('\n')).toContain('CREATE pod ns/w: inject');
    expect(logs.join('\n')).not.toContain('secret-value');
  });

  it('ORCH-3112: a denial is allowed=false with code 403 and the message', async () => {
    const pod = {
      metadata: {
        name: 'w',
        labels: { 'llama-orch.io/engine': 'llamacpp' },
        annotations: { 'llama-orch.io/model-ref': 'M' },
      },
      spec: { containers: [{ name: 'llama', args: ['--parallel', '2'] }] },
    };
    const body = (
      await app.inject({ method: 'POST', url: '/mutate', payload: reviewOf(pod) })
    ).json<AdmissionReview>();
    expect(body.response).toEqual({
      uid: 'u-1',
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: expect.stringContaining('--parallel 2') },
    });
  });

  it('ORCH-3111: unlabelled pod: allowed, no patch; malformed review: 400', async () => {
    const body = (
      await app.inject({
        method: 'POST',
        url: '/mutate',
        payload: reviewOf({ metadata: { name: 'x' }, spec: { containers: [] } }),
      })
    ).json<AdmissionReview>();
    expect(body.response).toEqual({ uid: 'u-1', allowed: true });
    const bad = await app.inject({
      method: 'POST',
      url: '/mutate',
      payload: { kind: 'AdmissionReview' },
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe('ORCH-3113: self-signed serving TLS', () => {
  const tls = selfSignedServingTls(['llama-orch-webhook.llama-orch.svc'], ['127.0.0.1']);

  it('ORCH-3113: the serving cert chains to the CA and names the service and IP', () => {
    const ca = new X509Certificate(tls.caCert);
    const leaf = new X509Certificate(tls.cert);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toContain('DNS:llama-orch-webhook.llama-orch.svc');
    expect(leaf.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(tls.caCert).not.toContain('PRIVATE KEY');
  });

  it('ORCH-3113: an HTTPS client trusting only the CA reaches /healthz', async () => {
    const app = buildWebhookServer({ injector, https: { key: tls.key, cert: tls.cert } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/healthz', ca: tls.caCert },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
