import { describe, expect, it } from 'vitest';
import { llamaCppDeterminismFindings } from './engine-args.js';
import type { InjectorConfig } from './inject.js';
import { DEFAULT_SIDECAR_COMMAND, decide, deviceMask } from './inject.js';
import { INJECTED_ANNOTATION, SIDECAR_CONTAINER } from './labels.js';
import type { Container, JsonPatchOp, Pod } from './pod-types.js';
import { DETERMINISTIC_ARGS } from '../test/support/worker-args.js';

const cfg: InjectorConfig = {
  sidecarImage: 'llama-orch/sidecar:test',
  placementAddress: 'llama-orch-placement.llama-orch.svc:9003',
  sidecarPort: 8100,
  strict: true,
  sidecarCommand: DEFAULT_SIDECAR_COMMAND,
};

/** Every flag strict determinism pins (see @llama-orch/sidecar/llamacpp-args). */
const pinned = [...DETERMINISTIC_ARGS];
const goodArgs = ['-m', '/models/m.gguf', ...pinned, '--port', '8080'];

function worker(
  over: { args?: string[]; gpus?: number; annotations?: Record<string, string> | null } = {},
): Pod {
  const c: Container = {
    name: 'llama',
    image: 'ghcr.io/ggml-org/llama.cpp:server',
    args: over.args ?? goodArgs,
    resources: { limits: { 'nvidia.com/gpu': String(over.gpus ?? 2) } },
  };
  const annotations =
    over.annotations === null
      ? undefined
      : (over.annotations ?? { 'llama-orch.io/pool': 'chat', 'llama-orch.io/model-ref': 'M' });
  return {
    metadata: {
      name: 'w0',
      labels: { 'llama-orch.io/engine': 'llamacpp' },
      ...(annotations ? { annotations } : {}),
    },
    spec: { containers: [c] },
  };
}

/** Applies the two kinds of op decide() emits, as the API server would. */
function applyPatch(pod: Pod, patch: JsonPatchOp[]): Pod {
  const out = structuredClone(pod);
  for (const op of patch) {
    if (op.path === '/spec/containers/-') out.spec?.containers?.push(op.value as Container);
    else if (op.path === '/spec/volumes') out.spec!.volumes = op.value as unknown[];
    else if (op.path === '/spec/volumes/-') out.spec!.volumes!.push(op.value);
    else if (op.path === '/metadata/annotations')
      out.metadata = { ...out.metadata, annotations: op.value as Record<string, string> };
    else if (op.path.startsWith('/metadata/annotations/')) {
      const key = op.path
        .slice('/metadata/annotations/'.length)
        .replace(/~1/g, '/')
        .replace(/~0/g, '~');
      out.metadata!.annotations![key] = op.value as string;
    } else throw new Error(`unexpected op ${op.path}`);
  }
  return out;
}

describe('ORCH-3111: injection of a labelled GPU worker', () => {
  it('ORCH-3111: adds one sidecar wired to the engine, placement, pool, pod IP and GPU mask', () => {
    const d = decide(worker(), cfg);
    expect(d.kind).toBe('inject');
    if (d.kind !== 'inject') return;
    const s = d.sidecar;
    expect(s.name).toBe(SIDECAR_CONTAINER);
    expect(s.command).toEqual([...DEFAULT_SIDECAR_COMMAND]);
    const arg = (f: string): string | undefined => s.args?.[s.args.indexOf(f) + 1];
    expect(arg('--engine-url')).toBe('http://127.0.0.1:8080');
    expect(arg('--placement')).toBe(cfg.placementAddress);
    expect(arg('--pool-id')).toBe('chat');
    expect(arg('--engine')).toBe('llamacpp');
    expect(arg('--model-ref')).toBe('M');
    expect(arg('--advertise-host')).toBe('$(POD_IP)');
    expect(s.args).toContain('--strict');
    // ORCH-3142: the client certificate for placement's mTLS control port, from a Secret.
    expect(arg('--tls-cert')).toBe('/var/run/llama-orch/control-tls/tls.crt');
    expect(s.volumeMounts).toContainEqual({
      name: 'llama-orch-sidecar-control-tls',
      mountPath: '/var/run/llama-orch/control-tls',
      readOnly: true,
    });
    expect(s.env).toContainEqual({
      name: 'POD_IP',
      valueFrom: { fieldRef: { fieldPath: 'status.podIP' } },
    });
    expect(s.env).toContainEqual({ name: 'SIDECAR_DEVICES', value: 'cuda:0,cuda:1' });
    // ORCH-4016: the admitted engine command line, declared to the strict sidecar.
    const declared = s.env?.find((e) => e.name === 'SIDECAR_ENGINE_LAUNCH_ARGS')?.value;
    expect(JSON.parse(declared ?? 'null')).toEqual(goodArgs);
    expect(s.readinessProbe).toEqual(
      expect.objectContaining({ httpGet: { path: '/healthz', port: 8100 } }),
    );
    expect(s.livenessProbe).toEqual(expect.objectContaining({ tcpSocket: { port: 8100 } }));
    // The sidecar never asks for a GPU and never runs as root.
    expect(JSON.stringify(s.resources)).not.toContain('nvidia.com/gpu');
    expect(s.securityContext).toEqual(
      expect.objectContaining({ runAsNonRoot: true, readOnlyRootFilesystem: true }),
    );
  });

  it('ORCH-3111: idempotent: the patched pod is left alone on a second pass', () => {
    const d = decide(worker(), cfg);
    if (d.kind !== 'inject') throw new Error(d.kind);
    const patched = applyPatch(worker(), d.patch);
    expect(patched.spec?.containers?.filter((c) => c.name === SIDECAR_CONTAINER)).toHaveLength(1);
    expect(patched.metadata?.annotations?.[INJECTED_ANNOTATION]).toContain(SIDECAR_CONTAINER);
    expect(decide(patched, cfg)).toEqual({ kind: 'skip', reason: 'sidecar already injected' });
  });

  it('ORCH-3111: a pod without annotations is denied for lacking the model-ref', () => {
    const d = decide(worker({ annotations: null }), cfg);
    // model-ref is required: no annotations means a clear denial, not a half-wired sidecar.
    expect(d).toEqual({
      kind: 'deny',
      message: expect.stringContaining('llama-orch.io/model-ref'),
    });
  });

  it('ORCH-3111: unlabelled pods and unknown engines', () => {
    const plain: Pod = { metadata: { name: 'web' }, spec: { containers: [{ name: 'nginx' }] } };
    expect(decide(plain, cfg).kind).toBe('skip');
    const odd = worker();
    odd.metadata!.labels!['llama-orch.io/engine'] = 'sglang';
    expect(decide(odd, cfg)).toEqual({ kind: 'deny', message: expect.stringContaining('sglang') });
  });

  it('ORCH-3111: per-engine default port, annotation override, no GPU means no mask', () => {
    const tgi = worker({ gpus: 0 });
    tgi.metadata!.labels!['llama-orch.io/engine'] = 'tgi';
    const d = decide(tgi, cfg);
    if (d.kind !== 'inject') throw new Error(d.kind);
    expect(d.sidecar.args).toContain('http://127.0.0.1:80');
    expect(d.sidecar.env?.some((e) => e.name === 'SIDECAR_DEVICES')).toBe(false);
    tgi.metadata!.annotations!['llama-orch.io/engine-port'] = 'x';
    expect(decide(tgi, cfg).kind).toBe('deny');
    expect(deviceMask(3)).toBe('cuda:0,cuda:1,cuda:2');
  });
});

describe('ORCH-3111: model digest', () => {
  it('ORCH-3111: the model-digest annotation becomes --model-digest; a malformed one is denied', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const d = decide(
      worker({
        annotations: { 'llama-orch.io/model-ref': 'M', 'llama-orch.io/model-digest': digest },
      }),
      cfg,
    );
    if (d.kind !== 'inject') throw new Error(d.kind);
    expect(d.sidecar.args?.[d.sidecar.args.indexOf('--model-digest') + 1]).toBe(digest);
    const bad = decide(
      worker({
        annotations: { 'llama-orch.io/model-ref': 'M', 'llama-orch.io/model-digest': 'abc' },
      }),
      cfg,
    );
    expect(bad).toEqual({ kind: 'deny', message: expect.stringContaining('sha256:<64 hex>') });
  });
});

describe('ORCH-3112: strict determinism', () => {
  it('ORCH-3112: denies --parallel 4 naming the flag', () => {
    const d = decide(worker({ args: ['-m', 'x', ...pinned.slice(2), '--parallel', '4'] }), cfg);
    expect(d.kind).toBe('deny');
    if (d.kind === 'deny') expect(d.message).toContain('--parallel 4 (needs --parallel 1)');
  });

  it('ORCH-3112: denies a missing --no-cont-batching naming the flag', () => {
    const d = decide(
      worker({ args: ['-m', 'x', ...pinned.filter((a) => a !== '--no-cont-batching')] }),
      cfg,
    );
    expect(d).toEqual({
      kind: 'deny',
      message: expect.stringContaining('missing --no-cont-batching'),
    });
  });

  it('ORCH-3112: relaxed mode injects the same worker with --no-strict', () => {
    const d = decide(worker({ args: ['-m', 'x'] }), { ...cfg, strict: false });
    if (d.kind !== 'inject') throw new Error(d.kind);
    expect(d.sidecar.args).toContain('--no-strict');
  });

  it('ORCH-3112: denies an unpinned context size naming the flag', () => {
    const args = ['-m', 'x', ...pinned.filter((a, i) => a !== '-c' && pinned[i - 1] !== '-c')];
    const d = decide(worker({ args }), cfg);
    expect(d).toEqual({ kind: 'deny', message: expect.stringContaining('missing --ctx-size') });
  });

  it('ORCH-4016: the declared command line escapes $( so the kubelet leaves it as admitted', () => {
    const d = decide(worker({ args: [...goodArgs, '--alias', '$(MODEL_NAME)'] }), cfg);
    if (d.kind !== 'inject') throw new Error(d.kind);
    const declared = d.sidecar.env?.find((e) => e.name === 'SIDECAR_ENGINE_LAUNCH_ARGS')?.value;
    expect(declared).toContain('"$$(MODEL_NAME)"');
  });

  it('ORCH-3112: spellings', () => {
    const rest = [
      '--ctx-size=4096',
      '--batch-size',
      '512',
      '--ubatch-size',
      '512',
      '--threads',
      '8',
    ];
    expect(llamaCppDeterminismFindings(['--parallel=1', '-nocb', ...rest])).toEqual([]);
    expect(
      llamaCppDeterminismFindings(['-np', '1', '-nocb', '-cb', ...rest]).map((f) => f.flag),
    ).toEqual(['--cont-batching']);
    expect(llamaCppDeterminismFindings([]).map((f) => f.flag)).toEqual([
      '--parallel',
      '--ctx-size',
      '--batch-size',
      '--ubatch-size',
      '--threads',
      '--no-cont-batching',
    ]);
  });
});
