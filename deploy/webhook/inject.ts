// The admission decision for one Pod (ORCH-3111, ORCH-3112): a pure function from the Pod and the
// webhook's settings to "leave it", "inject this patch" or "deny with this message". The HTTP
// layer only decodes the AdmissionReview and encodes the answer.
import { commandLine, llamaCppDeterminismFindings } from './engine-args.js';
import {
  DEFAULT_ENGINE_PORT,
  ENGINE_CONTAINER_ANNOTATION,
  ENGINE_LABEL,
  ENGINE_PORT_ANNOTATION,
  ENGINES,
  INJECTED_ANNOTATION,
  MODEL_DIGEST_ANNOTATION,
  MODEL_REF_ANNOTATION,
  POOL_ANNOTATION,
  REPLICA_SET_ANNOTATION,
  SIDECAR_CONTAINER,
  isEngine,
} from './labels.js';
import type { Container, EnvVar, JsonPatchOp, Pod } from './pod-types.js';

export interface InjectorConfig {
  /** Sidecar image (pinned by digest in production). */
  sidecarImage: string;
  /** Placement's control address as the sidecar dials it, e.g. llama-orch-placement.llama-orch.svc:9003. */
  placementAddress: string;
  /** Port the sidecar serves the routed stream and /healthz on. */
  sidecarPort: number;
  /** Strict determinism (ORCH-4016): deny workers whose engine args break it. */
  strict: boolean;
  /** The sidecar's command; its working dir is the image's app root. */
  sidecarCommand: readonly string[];
  /** Extra env for every sidecar (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  extraEnv?: readonly EnvVar[];
  /**
   * The kubernetes.io/tls Secret (in the worker's namespace) holding the sidecar's client
   * certificate for placement's mutual-TLS control port (ORCH-3142): `ca.crt`, `tls.crt`,
   * `tls.key`, as cert-manager writes them. Default `llama-orch-sidecar-tls`.
   */
  controlTlsSecret?: string;
}

const DEFAULT_CONTROL_TLS_SECRET = 'llama-orch-sidecar-tls';
/** Where the sidecar finds that Secret; the kubelet refreshes the files when it rotates. */
const CONTROL_TLS_DIR = '/var/run/llama-orch/control-tls';
/** The Secret volume's name in the Pod. */
const SIDECAR_TLS_VOLUME = 'llama-orch-sidecar-control-tls';

// The bundle the sidecar image builds once (tools/build-runtime.mjs), run by plain node.
export const DEFAULT_SIDECAR_COMMAND = ['node', 'sidecar/dist/main.mjs'] as const;

/** The emptyDir the sidecar gets as /tmp. */
const SIDECAR_TMP_VOLUME = 'llama-orch-sidecar-tmp';

export type Decision =
  | { kind: 'skip'; reason: string }
  | { kind: 'inject'; patch: JsonPatchOp[]; sidecar: Container }
  | { kind: 'deny'; message: string };

/** `nvidia.com/gpu` limit (or request) of a container as a count; 0 when none. */
export function gpuCount(c: Container): number {
  const raw = c.resources?.limits?.['nvidia.com/gpu'] ?? c.resources?.requests?.['nvidia.com/gpu'];
  const n = Number(raw ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/**
 * The device mask the sidecar reports: the device plugin exposes a pod's N GPUs to the engine
 * container as cuda:0..N-1 whatever their host indices, so the mask follows from the count.
 */
export function deviceMask(gpus: number): string {
  return Array.from({ length: gpus }, (_, i) => `cuda:${i}`).join(',');
}

const fieldEnv = (name: string, fieldPath: string): EnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});

/** JSON Pointer escaping of one path segment (RFC 6901). */
const ptr = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

export function decide(pod: Pod, cfg: InjectorConfig): Decision {
  const labels = pod.metadata?.labels ?? {};
  const annotations = pod.metadata?.annotations ?? {};
  const engine = labels[ENGINE_LABEL];
  if (engine === undefined) return { kind: 'skip', reason: `no ${ENGINE_LABEL} label` };
  const containers = pod.spec?.containers ?? [];
  if (
    annotations[INJECTED_ANNOTATION] !== undefined ||
    containers.some((c) => c.name === SIDECAR_CONTAINER)
  ) {
    return { kind: 'skip', reason: 'sidecar already injected' };
  }
  if (!isEngine(engine)) {
    return {
      kind: 'deny',
      message: `${ENGINE_LABEL}=${engine} is not an engine llama-orch serves (one of ${ENGINES.join(', ')})`,
    };
  }
  const modelRef = annotations[MODEL_REF_ANNOTATION];
  if (modelRef === undefined || modelRef.trim() === '') {
    return {
      kind: 'deny',
      message: `a ${engine} worker needs the ${MODEL_REF_ANNOTATION} annotation`,
    };
  }
  const wanted = annotations[ENGINE_CONTAINER_ANNOTATION];
  const engineContainer =
    wanted !== undefined ? containers.find((c) => c.name === wanted) : containers[0];
  if (engineContainer === undefined) {
    return {
      kind: 'deny',
      message:
        wanted !== undefined
          ? `${ENGINE_CONTAINER_ANNOTATION}=${wanted} names no container of this pod`
          : 'the pod has no containers',
    };
  }
  const portText = annotations[ENGINE_PORT_ANNOTATION];
  const enginePort = portText !== undefined ? Number(portText) : DEFAULT_ENGINE_PORT[engine];
  if (!Number.isInteger(enginePort) || enginePort < 1 || enginePort > 65535) {
    return {
      kind: 'deny',
      message: `${ENGINE_PORT_ANNOTATION}=${portText ?? ''} is not a TCP port`,
    };
  }
  if (cfg.strict && engine === 'llamacpp') {
    const findings = llamaCppDeterminismFindings(commandLine(engineContainer));
    if (findings.length > 0) {
      return {
        kind: 'deny',
        message:
          `strict determinism: container "${engineContainer.name}" breaks determinism: ` +
          findings.map((f) => f.problem).join('; '),
      };
    }
  }
  const modelDigest = annotations[MODEL_DIGEST_ANNOTATION];
  if (modelDigest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(modelDigest)) {
    return {
      kind: 'deny',
      message: `${MODEL_DIGEST_ANNOTATION} must be sha256:<64 hex>, not ${modelDigest}`,
    };
  }
  const pool = annotations[POOL_ANNOTATION] ?? 'default';
  const replicaSet = annotations[REPLICA_SET_ANNOTATION];
  const gpus = gpuCount(engineContainer);
  const sidecar = sidecarContainer(cfg, {
    engine,
    modelRef,
    modelDigest,
    pool,
    replicaSet,
    enginePort,
    gpus,
    engineArgs: commandLine(engineContainer),
  });
  const patch: JsonPatchOp[] = [{ op: 'add', path: '/spec/containers/-', value: sidecar }];
  // A writable /tmp for the sidecar (its root filesystem is read-only).
  const tmp = { name: SIDECAR_TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } };
  // The sidecar's control-plane identity; optional: false, so a missing Secret keeps the Pod
  // Pending with a clear event instead of a sidecar that can never register.
  const tls = {
    name: SIDECAR_TLS_VOLUME,
    secret: {
      secretName: cfg.controlTlsSecret ?? DEFAULT_CONTROL_TLS_SECRET,
      defaultMode: 0o440,
      optional: false,
    },
  };
  if (pod.spec?.volumes === undefined)
    patch.push({ op: 'add', path: '/spec/volumes', value: [tmp, tls] });
  else {
    patch.push({ op: 'add', path: '/spec/volumes/-', value: tmp });
    patch.push({ op: 'add', path: '/spec/volumes/-', value: tls });
  }
  const marker = `${SIDECAR_CONTAINER}:${cfg.sidecarImage}`;
  if (pod.metadata?.annotations === undefined) {
    patch.push({
      op: 'add',
      path: '/metadata/annotations',
      value: { [INJECTED_ANNOTATION]: marker },
    });
  } else {
    patch.push({
      op: 'add',
      path: `/metadata/annotations/${ptr(INJECTED_ANNOTATION)}`,
      value: marker,
    });
  }
  return { kind: 'inject', patch, sidecar };
}

interface Worker {
  engine: string;
  modelRef: string;
  modelDigest: string | undefined;
  pool: string;
  replicaSet: string | undefined;
  enginePort: number;
  gpus: number;
  /** The engine container's command line as admitted (in strict mode: verified above). */
  engineArgs: readonly string[];
}

/** The injected container: everything the sidecar needs, nothing it does not (no GPU, no root). */
export function sidecarContainer(cfg: InjectorConfig, w: Worker): Container {
  const env: EnvVar[] = [
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('POD_IP', 'status.podIP'),
    ...(w.gpus > 0 ? [{ name: 'SIDECAR_DEVICES', value: deviceMask(w.gpus) }] : []),
    ...(w.replicaSet !== undefined ? [{ name: 'SIDECAR_REPLICA_SET', value: w.replicaSet }] : []),
    // The sidecar cannot see the engine's flags (another container; /props does not show them):
    // it checks the command line the webhook admitted (ORCH-4016). `$$(` keeps the kubelet from
    // expanding the engine's own `$(VAR)` references against the sidecar's env.
    {
      name: 'SIDECAR_ENGINE_LAUNCH_ARGS',
      value: JSON.stringify(w.engineArgs).replaceAll('$(', '$$$$('),
    },
    ...(cfg.extraEnv ?? []),
  ];
  const args = [
    '--replica-id',
    '$(POD_NAMESPACE).$(POD_NAME)',
    '--pool-id',
    w.pool,
    '--engine',
    w.engine,
    '--model-ref',
    w.modelRef,
    // Declared, not re-hashed: the sidecar cannot read the engine's model file from its container.
    ...(w.modelDigest !== undefined ? ['--model-digest', w.modelDigest] : []),
    // Same pod, same network namespace: the engine is on localhost and never exposed by a Service.
    '--engine-url',
    `http://127.0.0.1:${w.enginePort}`,
    '--placement',
    cfg.placementAddress,
    '--host',
    '0.0.0.0',
    '--port',
    String(cfg.sidecarPort),
    // Placement routes to the pod IP the kubelet substitutes from the downward API.
    '--advertise-host',
    '$(POD_IP)',
    // ORCH-3142: placement's control port accepts only clients with a certificate of its CA.
    '--tls-ca',
    `${CONTROL_TLS_DIR}/ca.crt`,
    '--tls-cert',
    `${CONTROL_TLS_DIR}/tls.crt`,
    '--tls-key',
    `${CONTROL_TLS_DIR}/tls.key`,
    cfg.strict ? '--strict' : '--no-strict',
  ];
  return {
    name: SIDECAR_CONTAINER,
    image: cfg.sidecarImage,
    command: [...cfg.sidecarCommand],
    args,
    env,
    ports: [{ name: 'sidecar', containerPort: cfg.sidecarPort, protocol: 'TCP' }],
    // Ready only once the engine passed the self-test and placement knows the replica.
    readinessProbe: {
      httpGet: { path: '/healthz', port: cfg.sidecarPort },
      periodSeconds: 5,
      failureThreshold: 3,
    },
    // /healthz is 503 while the engine loads; liveness only asks whether the process answers.
    livenessProbe: { tcpSocket: { port: cfg.sidecarPort }, periodSeconds: 10, failureThreshold: 6 },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    volumeMounts: [
      { name: SIDECAR_TMP_VOLUME, mountPath: '/tmp' },
      { name: SIDECAR_TLS_VOLUME, mountPath: CONTROL_TLS_DIR, readOnly: true },
    ],
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65532,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
  };
}
