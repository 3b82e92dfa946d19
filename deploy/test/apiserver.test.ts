// The deploy story against a real control plane (ORCH-3110..3114): etcd and kube-apiserver built
// from Go modules, started on loopback; the webhook registered with the API server through the
// MutatingWebhookConfiguration that deploy/ ships (only its clientConfig points at the test's
// loopback port); assertions on what the API server stored.
import type {
  KubernetesObject,
  V1MutatingWebhookConfiguration,
  V1Pod,
} from '@kubernetes/client-node';
import { AdmissionregistrationV1Api, ApiException, CoreV1Api } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { freePort, loadKubeControlPlane } from '@llama-orch/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SIDECAR_COMMAND,
  INJECTED_ANNOTATION,
  SIDECAR_CONTAINER,
  decide,
} from '../webhook/index.js';
import type { Pod, WebhookHandle } from '../webhook/index.js';
import { startWebhook } from '../webhook/webhook.js';
import { applyOrder, makeApplier, parseObjects, refOf } from './support/apply.js';
import type { ControlPlane } from './support/control-plane.js';
import { startControlPlane } from './support/control-plane.js';
import { kustomizeBuild } from './support/kustomize.js';
import { ONE_SLOT, PINNED_SIZES } from './support/worker-args.js';

const NS = 'default';
const MWC = 'llama-orch-sidecar-injector';
let cp: ControlPlane;
let core: CoreV1Api;
let webhook: WebhookHandle | undefined;
let webhookPort = 0;
const webhookLog: string[] = [];

const injector = {
  sidecarImage: 'llama-orch/sidecar:test',
  placementAddress: 'llama-orch-placement.llama-orch.svc:9003',
  sidecarPort: 8100,
  strict: true,
  sidecarCommand: DEFAULT_SIDECAR_COMMAND,
};

function workerPod(name: string, args: string[], extra: Partial<V1Pod['metadata']> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { 'llama-orch.io/engine': 'llamacpp' },
      annotations: {
        'llama-orch.io/pool': 'chat',
        'llama-orch.io/model-ref': 'Qwen2.5-Coder-0.5B-Instruct-Q4_K_M',
      },
      ...extra,
    },
    spec: {
      containers: [
        {
          name: 'llama',
          image: 'ghcr.io/ggml-org/llama.cpp:server-cuda',
          args,
          resources: { limits: { 'nvidia.com/gpu': '2' } },
        },
      ],
    },
  };
}

/** A worker's engine args that pin every flag strict determinism needs. */
const PINNED = PINNED_SIZES;
const GOOD = ['--model', '/models/m.gguf', ...ONE_SLOT, ...PINNED];

async function createPod(pod: V1Pod, dryRun = false): Promise<V1Pod> {
  return core.createNamespacedPod({
    namespace: NS,
    body: pod,
    ...(dryRun ? { dryRun: 'All' } : {}),
  });
}

/** The API server's rejection of a create as {code, message}; throws if it was admitted. */
async function rejection(pod: V1Pod): Promise<{ code: number; message: string }> {
  try {
    await createPod(pod);
  } catch (e) {
    if (e instanceof ApiException) {
      const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as {
        message?: string;
      };
      return { code: e.code, message: body.message ?? '' };
    }
    throw e;
  }
  throw new Error(`${pod.metadata?.name} was admitted`);
}

/** The shipped MutatingWebhookConfiguration with clientConfig pointed at the loopback webhook. */
async function shippedWebhookConfiguration(): Promise<V1MutatingWebhookConfiguration> {
  const objs = await kustomizeBuild('base');
  const mwc = objs.find((o) => o.kind === 'MutatingWebhookConfiguration') as
    V1MutatingWebhookConfiguration | undefined;
  if (mwc === undefined) throw new Error('deploy/base has no MutatingWebhookConfiguration');
  for (const w of mwc.webhooks ?? [])
    w.clientConfig = { url: `https://127.0.0.1:${webhookPort}/mutate` };
  return mwc;
}

beforeAll(async () => {
  cp = await startControlPlane();
  core = cp.kubeConfig.makeApiClient(CoreV1Api);
  webhookPort = await freePort();
  const mwc = await shippedWebhookConfiguration();
  await cp.kubeConfig
    .makeApiClient(AdmissionregistrationV1Api)
    .createMutatingWebhookConfiguration({ body: mwc });
  webhook = await startWebhook({
    host: '127.0.0.1',
    port: webhookPort,
    dnsNames: ['localhost'],
    ips: ['127.0.0.1'],
    patchConfigName: MWC,
    kubeConfig: cp.kubeConfig,
    injector,
    log: (m) => webhookLog.push(m),
  });
  // The API server picks up configuration changes asynchronously: dry-run creates until the
  // webhook answers (bounded: 20 s).
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const p = await createPod(workerPod('probe', GOOD), true);
      if (p.spec?.containers.some((c) => c.name === SIDECAR_CONTAINER)) break;
    } catch {
      // caBundle not seen yet: the call fails closed
    }
    if (Date.now() > deadline)
      throw new Error(
        `webhook never took effect; webhook log:\n${webhookLog.join('\n')}\n${cp.tail()}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}, 120_000);

afterAll(async () => {
  await webhook?.close();
  await cp?.stop();
}, 60_000);

describe('ORCH-3113: TLS the API server trusts', () => {
  it('ORCH-3113: the webhook wrote its CA (and only its certificate) into caBundle', async () => {
    const stored = await cp.kubeConfig
      .makeApiClient(AdmissionregistrationV1Api)
      .readMutatingWebhookConfiguration({ name: MWC });
    const bundle = Buffer.from(
      stored.webhooks?.[0]?.clientConfig.caBundle ?? '',
      'base64',
    ).toString();
    expect(bundle).toBe(webhook?.caCert);
    expect(bundle).toContain('BEGIN CERTIFICATE');
    expect(bundle).not.toContain('PRIVATE KEY');
  });
});

describe('ORCH-3111: what the API server stores', () => {
  it('ORCH-3111: a labelled GPU worker is stored with one sidecar, pod IP and GPU mask wired', async () => {
    const pod = await createPod(workerPod('worker-0', GOOD));
    const stored = await core.readNamespacedPod({ name: 'worker-0', namespace: NS });
    expect(stored.metadata?.uid).toBe(pod.metadata?.uid);
    const sidecars = stored.spec?.containers.filter((c) => c.name === SIDECAR_CONTAINER) ?? [];
    expect(sidecars).toHaveLength(1);
    const s = sidecars[0]!;
    expect(s.image).toBe('llama-orch/sidecar:test');
    expect(s.command).toEqual([...DEFAULT_SIDECAR_COMMAND]);
    const arg = (f: string): string | undefined => s.args?.[s.args.indexOf(f) + 1];
    expect(arg('--advertise-host')).toBe('$(POD_IP)');
    expect(arg('--engine-url')).toBe('http://127.0.0.1:8080');
    expect(arg('--placement')).toBe(injector.placementAddress);
    expect(arg('--pool-id')).toBe('chat');
    expect(s.env?.find((e) => e.name === 'POD_IP')?.valueFrom?.fieldRef?.fieldPath).toBe(
      'status.podIP',
    );
    expect(s.env?.find((e) => e.name === 'SIDECAR_DEVICES')?.value).toBe('cuda:0,cuda:1');
    expect(s.readinessProbe?.httpGet?.path).toBe('/healthz');
    expect(s.livenessProbe?.tcpSocket?.port).toBe(8100);
    expect(s.securityContext?.runAsNonRoot).toBe(true);
    expect(s.volumeMounts).toEqual([
      { name: 'llama-orch-sidecar-tmp', mountPath: '/tmp' },
      // ORCH-3142: its control-plane client certificate.
      {
        name: 'llama-orch-sidecar-control-tls',
        mountPath: '/var/run/llama-orch/control-tls',
        readOnly: true,
      },
    ]);
    expect(stored.spec?.volumes?.map((v) => v.name)).toEqual([
      'llama-orch-sidecar-tmp',
      'llama-orch-sidecar-control-tls',
    ]);
    // ORCH-3142: the control-plane client certificate comes from a Secret in the Pod's namespace.
    expect(stored.spec?.volumes?.[1]?.secret?.secretName).toBe('llama-orch-sidecar-tls');
    expect(stored.metadata?.annotations?.[INJECTED_ANNOTATION]).toContain(SIDECAR_CONTAINER);
    // Exactly what decide() produces, which injected-sidecar.test.ts runs as a process.
    const d = decide(workerPod('worker-0', GOOD) as Pod, injector);
    if (d.kind !== 'inject') throw new Error(d.kind);
    // (env compared by name, value and field path: the API server adds fieldRef.apiVersion v1).
    const envOf = (
      env: {
        name: string;
        value?: string;
        valueFrom?: { fieldRef?: { fieldPath: string } };
      }[] = [],
    ) => env.map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]);
    expect({ command: s.command, args: s.args, env: envOf(s.env) }).toEqual({
      command: d.sidecar.command,
      args: d.sidecar.args,
      env: envOf(d.sidecar.env),
    });
    // The engine container is untouched.
    expect(stored.spec?.containers[0]?.args).toEqual(GOOD);
  });

  it('ORCH-3111: a pod that already carries the sidecar is stored without a second one', async () => {
    const first = await core.readNamespacedPod({ name: 'worker-0', namespace: NS });
    const again = workerPod('worker-0-copy', GOOD);
    again.spec!.containers = (first.spec?.containers ?? []).map((c) => ({ ...c }));
    again.spec!.volumes = first.spec?.volumes ?? [];
    await createPod(again);
    const stored = await core.readNamespacedPod({ name: 'worker-0-copy', namespace: NS });
    expect(stored.spec?.containers.filter((c) => c.name === SIDECAR_CONTAINER)).toHaveLength(1);
    expect(stored.spec?.containers).toHaveLength(2);
  });

  it('ORCH-3111: an unlabelled pod is stored as sent', async () => {
    await createPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27', args: ['--parallel', '8'] }] },
    });
    const stored = await core.readNamespacedPod({ name: 'web', namespace: NS });
    expect(stored.spec?.containers.map((c) => c.name)).toEqual(['web']);
    expect(stored.metadata?.annotations?.[INJECTED_ANNOTATION]).toBeUndefined();
  });
});

describe('ORCH-3112: strict determinism through the API server', () => {
  it('ORCH-3112: --parallel 4 is denied with the message naming the flag, nothing stored', async () => {
    const r = await rejection(
      workerPod('worker-bad', ['--model', 'm', '--parallel', '4', '--no-cont-batching', ...PINNED]),
    );
    expect(r.code).toBe(403);
    expect(r.message).toContain('denied the request');
    expect(r.message).toContain('--parallel 4 (needs --parallel 1)');
    const list = await core.listNamespacedPod({ namespace: NS });
    expect(list.items.map((p) => p.metadata?.name)).not.toContain('worker-bad');
  });

  it('ORCH-3112: a missing --no-cont-batching is denied naming the flag', async () => {
    const r = await rejection(
      workerPod('worker-cb', ['--model', 'm', '--parallel', '1', ...PINNED]),
    );
    expect(r.message).toContain('missing --no-cont-batching');
  });
});

describe('ORCH-3114: failurePolicy Fail, scoped to GPU workers', () => {
  it('ORCH-3114: webhook down: a worker is refused, an unlabelled pod is admitted', async () => {
    await webhook?.close();
    webhook = undefined;
    const r = await rejection(workerPod('worker-while-down', GOOD));
    expect(r.code).toBe(500);
    expect(r.message).toContain('failed calling webhook "sidecar-injector.llama-orch.io"');
    await createPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-while-down' },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
    });
    const stored = await core.readNamespacedPod({ name: 'web-while-down', namespace: NS });
    expect(stored.spec?.containers).toHaveLength(1);
  });
});

describe('ORCH-3110: every manifest applies with strict server-side validation', () => {
  const results: { dir: string; ref: string; status: number; message: string }[] = [];
  // The loopback copy of the webhook configuration made for the tests above goes; the shipped one
  // (clientConfig.service) is applied in its place.
  beforeAll(() =>
    cp.kubeConfig
      .makeApiClient(AdmissionregistrationV1Api)
      .deleteMutatingWebhookConfiguration({ name: MWC }),
  );

  it.each(['base', 'overlays/dev', 'overlays/production'])(
    'ORCH-3110: kustomize build %s: 0 rejected',
    async (dir) => {
      const objs: KubernetesObject[] = applyOrder(await kustomizeBuild(dir));
      expect(objs.length).toBeGreaterThan(10);
      const applier = makeApplier(cp.kubeConfig);
      for (const o of objs) {
        const r = await applier.apply(o, 'llama-orch-deploy-test');
        results.push({ dir, ...r });
      }
      const rejected = results.filter(
        (r) => r.dir === dir && (r.status < 200 || r.status > 299 || r.message !== ''),
      );
      expect(rejected).toEqual([]);
      const kinds = new Set(objs.map((o) => o.kind));
      for (const k of [
        'Namespace',
        'Deployment',
        'Service',
        'ConfigMap',
        'PodDisruptionBudget',
        'NetworkPolicy',
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'MutatingWebhookConfiguration',
      ]) {
        expect(kinds, `${dir} has a ${k}`).toContain(k);
      }
      process.stdout.write(
        `[deploy] ${dir}: ${objs.length} objects applied: ${objs.map(refOf).join(', ')}\n`,
      );
    },
    120_000,
  );
});

describe('ORCH-3116: mesh objects apply on top of the published CRDs', () => {
  it('ORCH-3116: Gateway API, Inference Extension, Envoy Gateway and Istio CRDs, then deploy/mesh: 0 rejected', async () => {
    const applier = makeApplier(cp.kubeConfig);
    const { crds } = await loadKubeControlPlane();
    const crdObjs = (
      await Promise.all(crds.map(async (f) => parseObjects(await readFile(f, 'utf8'))))
    )
      .flat()
      .filter((o) => o.kind === 'CustomResourceDefinition');
    const bad: { ref: string; status: number; message: string }[] = [];
    for (const o of crdObjs) {
      const r = await applier.apply(o, 'llama-orch-deploy-test');
      if (r.status < 200 || r.status > 299) bad.push(r);
    }
    expect(bad).toEqual([]);
    // A CRD serves its kind only once Established (bounded: 30 s).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await cp.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
      const items = (
        JSON.parse(r.body) as {
          items: {
            metadata: { name: string };
            status?: { conditions?: { type: string; status: string }[] };
          }[];
        }
      ).items;
      const pending = items.filter(
        (c) => !c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'),
      );
      if (pending.length === 0 && items.length >= crdObjs.length) break;
      if (Date.now() > deadline)
        throw new Error(`CRDs not Established: ${pending.map((c) => c.metadata.name).join(', ')}`);
      await new Promise((res) => setTimeout(res, 250));
    }
    await applier.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
      'llama-orch-deploy-test',
    );
    const applied: string[] = [];
    for (const dir of ['mesh/inference-extension', 'mesh/envoy-gateway', 'mesh/istio']) {
      for (const o of applyOrder(await kustomizeBuild(dir))) {
        const r = await applier.apply(o, 'llama-orch-deploy-test');
        if (r.status < 200 || r.status > 299 || r.message !== '') bad.push(r);
        applied.push(`${dir}: ${r.ref}`);
      }
    }
    expect(bad).toEqual([]);
    expect(applied.map((a) => a.split(': ')[1]?.split('/')[0])).toEqual(
      expect.arrayContaining([
        'InferencePool',
        'HTTPRoute',
        'Gateway',
        'EnvoyExtensionPolicy',
        'EnvoyFilter',
      ]),
    );
    // What the API server stored for the pool: placement as endpoint picker, the sidecar port.
    const pool = JSON.parse(
      (
        await cp.get(
          '/apis/inference.networking.k8s.io/v1/namespaces/llama-orch/inferencepools/llama-orch-workers',
        )
      ).body,
    ) as {
      spec: {
        endpointPickerRef: { name: string; port: { number: number } };
        targetPorts: { number: number }[];
      };
    };
    expect(pool.spec.endpointPickerRef).toEqual(
      expect.objectContaining({ name: 'llama-orch-placement', port: { number: 9002 } }),
    );
    expect(pool.spec.targetPorts).toEqual([{ number: 8100 }]);
    process.stdout.write(
      `[deploy] ${crdObjs.length} CRDs, then ${applied.length} mesh objects applied: ${applied.join(', ')}\n`,
    );
  }, 180_000);
});
