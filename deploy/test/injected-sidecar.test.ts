// The injected spec works (ORCH-3111): the sidecar container the webhook produces for a GPU worker
// is run as a local process with exactly its command, args and env, only the cluster addresses
// mapped to loopback as a kubelet and the cluster DNS would resolve them. Against the local stack
// (real placement, Envoy and llama-server) it registers with placement and serves a task through
// Envoy.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SupervisedChild } from '@llama-orch/tools';
import {
  Supervisor,
  freePorts,
  llamaServerArgs,
  probeLlamaFlags,
  waitForHttp,
} from '@llama-orch/tools';
import type { Stack } from '@llama-orch/test-harness';
import { startStack } from '@llama-orch/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container, EnvVar, Pod } from '../webhook/index.js';
import { DEFAULT_SIDECAR_COMMAND, decide } from '../webhook/index.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const POD = { name: 'worker-0', namespace: 'gpu', ip: '127.0.0.1' };

/**
 * The kubelet's view of the container: downward-API env resolved for this "pod", then `$(VAR)`
 * in args expanded. Cluster addresses are mapped to their loopback stand-ins; every mapping must
 * hit exactly one argument, so the test notices when the webhook's output changes shape.
 */
function asLocalProcess(
  c: Container,
  map: Record<string, string>,
): { cmd: string; args: string[]; env: Record<string, string> } {
  const field: Record<string, string> = {
    'metadata.name': POD.name,
    'metadata.namespace': POD.namespace,
    'status.podIP': POD.ip,
  };
  const env: Record<string, string> = {};
  // The kubelet's expansion: `$(VAR)` of a variable defined earlier, `$$` a literal `$`.
  const expand = (s: string): string =>
    s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n: string | undefined) =>
      n === undefined ? '$' : (env[n] ?? m),
    );
  for (const e of c.env ?? ([] as EnvVar[])) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    const v = path !== undefined ? field[path] : e.value;
    if (v === undefined) throw new Error(`env ${e.name}: cannot resolve ${JSON.stringify(e)}`);
    env[e.name] = path !== undefined ? v : expand(v);
  }
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map(expand);
  for (const [from, to] of Object.entries(map)) {
    const at = argv.flatMap((a, i) => (a === from ? [i] : []));
    if (at.length !== 1)
      throw new Error(
        `expected one "${from}" in the injected command line, found ${at.length}: ${argv.join(' ')}`,
      );
    argv[at[0]!] = to;
  }
  const [cmd, ...args] = argv;
  // The image's `node` is this test's node; its working dir (/app) is the repository root.
  return { cmd: cmd === 'node' ? process.execPath : (cmd ?? ''), args, env };
}

let stack: Stack;
const sup = new Supervisor({ write: () => undefined });
let sidecar: SupervisedChild | undefined;
let injectedId = '';

beforeAll(async () => {
  // The container runs the bundle the sidecar image builds (DEFAULT_SIDECAR_COMMAND): build it.
  execFileSync(process.execPath, ['tools/build-runtime.mjs', 'sidecar'], { cwd: REPO_ROOT });
  stack = await startStack({ replicas: 1, threads: 1 });
  const [enginePort, sidecarPort] = await freePorts(2);
  // The GPU worker's engine container, as the example worker runs it (CPU carve-out here).
  const llama = llamaServerArgs(
    {
      modelPath: stack.model.path,
      port: enginePort!,
      ctx: stack.config.pools[0]?.ctx_max ?? 2048,
      threads: 1,
    },
    await probeLlamaFlags(stack.toolchain.llamaServer.bin),
  );
  const engine = sup.start({
    name: 'llama-server',
    cmd: stack.toolchain.llamaServer.bin,
    args: llama.args,
  });
  await waitForHttp(`http://127.0.0.1:${enginePort}/health`, {
    timeoutMs: 60_000,
    abortOn: engine.exited.then(() => `llama-server exited: ${engine.tail().join('\n')}`),
  });
  const pod: Pod = {
    metadata: {
      name: POD.name,
      namespace: POD.namespace,
      labels: { 'llama-orch.io/engine': 'llamacpp' },
      annotations: {
        'llama-orch.io/pool': stack.poolId,
        'llama-orch.io/model-ref': stack.model.ref,
        'llama-orch.io/model-digest': stack.model.digest,
        'llama-orch.io/engine-port': String(enginePort),
      },
    },
    spec: {
      containers: [
        {
          name: 'llama',
          image: 'llama.cpp',
          args: llama.args,
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        },
      ],
    },
  };
  const d = decide(pod, {
    sidecarImage: 'llama-orch/sidecar:test',
    placementAddress: 'llama-orch-placement.llama-orch.svc:9003',
    sidecarPort: 8100,
    // Strict (the default): the sidecar checks the engine command line the webhook admitted and
    // declared (SIDECAR_ENGINE_LAUNCH_ARGS), plus what the engine shows (one slot, n_ctx).
    strict: true,
    sidecarCommand: DEFAULT_SIDECAR_COMMAND,
  });
  if (d.kind !== 'inject') throw new Error(`webhook decided ${JSON.stringify(d)}`);
  // The Secret the webhook mounts (cert-manager's layout), issued by the stack's dev CA.
  if (!stack.pki) throw new Error('the stack runs without control-plane TLS');
  const secret = await stack.pki.sidecar(99);
  const local = asLocalProcess(d.sidecar, {
    '/var/run/llama-orch/control-tls/ca.crt': secret.ca,
    '/var/run/llama-orch/control-tls/tls.crt': secret.cert,
    '/var/run/llama-orch/control-tls/tls.key': secret.key,
    'llama-orch-placement.llama-orch.svc:9003': `127.0.0.1:${stack.ports.control}`,
    // Tests bind loopback only; in the Pod it is every interface of the Pod's own network.
    '0.0.0.0': '127.0.0.1',
    '8100': String(sidecarPort),
  });
  injectedId = `${POD.namespace}.${POD.name}`;
  expect(local.args).toEqual(
    expect.arrayContaining(['--replica-id', injectedId, '--advertise-host', '127.0.0.1']),
  );
  sidecar = sup.start({
    name: 'injected-sidecar',
    cmd: local.cmd,
    args: local.args,
    cwd: REPO_ROOT,
    // Only what the container spec sets, plus PATH for node itself.
    env: { ...local.env, PATH: process.env.PATH ?? '' },
  });
  const health = async (): Promise<
    { replica_id: string; ready: boolean; unready_reason?: string }[]
  > =>
    (
      (await (await fetch(`${stack.restUrl}/v1/pools/${stack.poolId}/health`)).json()) as {
        replicas: { replica_id: string; ready: boolean; unready_reason?: string }[];
      }
    ).replicas;
  const waitFor = async (
    what: string,
    ok: (r: { ready: boolean } | undefined) => boolean,
  ): Promise<void> => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = (await health()).find((x) => x.replica_id === injectedId);
      if (ok(r)) return;
      if (!sidecar?.isRunning() || Date.now() > deadline) {
        throw new Error(
          `injected sidecar not ${what} (${JSON.stringify(r)}):\n${sidecar?.tail().join('\n')}`,
        );
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  };
  // Registered with placement (self-tests and canary done): bounded at 90 s.
  await waitFor(
    'registered',
    (r) =>
      r !== undefined &&
      !String((r as { unready_reason?: string }).unready_reason ?? '').startsWith('Registering'),
  );
  // Only the injected replica may serve: the stack's own replica is drained, so the pool's
  // serving replica set becomes the injected one's (a worker the sidecar does not launch has
  // its own canary identity, ORCH-4017).
  const drain = await fetch(`${stack.restUrl}/v1/pools/${stack.poolId}/drain`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deadline_ms: 1000, replica_id: stack.replicaId(0) }),
  });
  expect(drain.status).toBe(202);
  await waitFor('Ready', (r) => r?.ready === true);
}, 240_000);

afterAll(async () => {
  await sup.stopAll();
  await stack?.close();
}, 60_000);

describe('ORCH-3111: the injected sidecar spec serves through the real stack', () => {
  it('ORCH-3111: registers with placement and serves a task through Envoy', async () => {
    const taskId = randomUUID();
    const sub = await fetch(`${stack.url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        task_id: taskId,
        session_id: randomUUID(),
        workload: 'completion',
        model_ref: stack.model.ref,
        engine: 'llamacpp',
        ctx: 512,
        priority: 'interactive',
        max_tokens: 8,
        deadline_ms: 0,
        seed: 7,
        // A strict replica: a strict task is placed on it (ORCH-4016).
        determinism: 'strict',
        prompt: 'Once upon a time, in a small village by the sea,',
        placement: { mode: 'pin', pin_pool_id: stack.poolId, pin_replica_id: injectedId },
      }),
    });
    expect(sub.status, await sub.clone().text()).toBe(202);
    const ctl = AbortSignal.timeout(60_000);
    const res = await fetch(`${stack.url}/v1/tasks/${taskId}/stream`, {
      headers: { accept: 'text/event-stream' },
      signal: ctl,
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body, `${body}\n${sidecar?.tail().join('\n')}`).toContain('event: started');
    expect(body).toMatch(/event: end\ndata: \{[^\n]*"tokens_out":8/);
  }, 120_000);
});
