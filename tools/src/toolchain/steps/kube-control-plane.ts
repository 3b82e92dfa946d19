// A real Kubernetes control plane for the deploy tests (ORCH-3110): etcd and kube-apiserver
// (plus kustomize, which renders deploy/),
// built from Go modules the Go module proxy serves (no release tarballs: those hosts are not
// package registries). No kubelet, scheduler or controller-manager: the tests only need the API
// server to validate, admit (our mutating webhook) and store objects.
import { access, constants, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOTSTRAP_HINT, ToolchainError } from '../errors.js';
import { run } from '../exec.js';
import type { GoModuleBuild } from '../go-module-build.js';
import { goBuild } from '../go-module-build.js';
import type { ManifestBase } from '../manifest.js';
import { atomicInstall, readManifest, sha256File } from '../manifest.js';
import { toolDir, workDir } from '../paths.js';
import type { Installed, Step, StepContext } from './step.js';

export const ETCD_VERSION = '3.6.6';
export const KUBERNETES_VERSION = '1.34.4';
export const KUSTOMIZE_VERSION = '5.8.1';

/** Every k8s.io staging module k8s.io/kubernetes replaces with ./staging/…; each has a v0.x tag. */
export const K8S_STAGING_MODULES = [
  'api',
  'apiextensions-apiserver',
  'apimachinery',
  'apiserver',
  'cli-runtime',
  'client-go',
  'cloud-provider',
  'cluster-bootstrap',
  'code-generator',
  'component-base',
  'component-helpers',
  'controller-manager',
  'cri-api',
  'cri-client',
  'csi-translation-lib',
  'dynamic-resource-allocation',
  'endpointslice',
  'externaljwt',
  'kms',
  'kube-aggregator',
  'kube-controller-manager',
  'kube-proxy',
  'kube-scheduler',
  'kubectl',
  'kubelet',
  'metrics',
  'mount-utils',
  'pod-security-admission',
  'sample-apiserver',
  'sample-cli-plugin',
  'sample-controller',
] as const;

const ETCD_MODULES = ['api/v3', 'client/pkg/v3', 'client/v3', 'pkg/v3', 'server/v3'];

export const ETCD_BUILD: GoModuleBuild = {
  tool: 'etcd',
  wrapperModule: 'llamaorch.local/etcdbuild',
  goVersion: '1.24',
  // server/v3's own go.mod replaces its siblings with ../; required at the same tag here.
  require: Object.fromEntries(
    ETCD_MODULES.map((m) => [`go.etcd.io/etcd/${m}`, `v${ETCD_VERSION}`]),
  ),
  mainPackage: 'go.etcd.io/etcd/server/v3',
};

const [K8S_MAJOR, K8S_MINOR] = KUBERNETES_VERSION.split('.');
export const KUBE_APISERVER_BUILD: GoModuleBuild = {
  tool: 'kube-apiserver',
  wrapperModule: 'llamaorch.local/kubeapiserverbuild',
  goVersion: '1.24.0',
  require: { 'k8s.io/kubernetes': `v${KUBERNETES_VERSION}` },
  // k8s.io/kubernetes points its staging modules at ./staging/src/…, which a dependent module
  // cannot use; their published releases carry the matching v0.<minor>.<patch> tag.
  replace: Object.fromEntries(
    K8S_STAGING_MODULES.map((m) => [
      `k8s.io/${m}`,
      `k8s.io/${m} v0.${KUBERNETES_VERSION.slice(2)}`,
    ]),
  ),
  mainPackage: 'k8s.io/kubernetes/cmd/kube-apiserver',
  // Without these the binary says v0.0.0-master and its emulation version is guessed.
  ldflagsX: {
    'k8s.io/component-base/version.gitVersion': `v${KUBERNETES_VERSION}`,
    'k8s.io/component-base/version.gitMajor': K8S_MAJOR ?? '1',
    'k8s.io/component-base/version.gitMinor': K8S_MINOR ?? '34',
    'k8s.io/component-base/version.gitTreeState': 'clean',
  },
};

/** kustomize renders deploy/'s bases and overlays exactly as `kubectl apply -k` users get them. */
const KUSTOMIZE_BUILD: GoModuleBuild = {
  tool: 'kustomize',
  wrapperModule: 'llamaorch.local/kustomizebuild',
  goVersion: '1.24.0',
  require: { 'sigs.k8s.io/kustomize/kustomize/v5': `v${KUSTOMIZE_VERSION}` },
  mainPackage: 'sigs.k8s.io/kustomize/kustomize/v5',
};

export interface GoBinaryManifest extends ManifestBase {
  bin: string;
  /** First line of `<bin> --version`. */
  versionLine: string;
  goVersion: string;
  buildSeconds: number;
  /** The wrapper module's go.mod, as built. */
  goMod: string;
}

/** A bootstrap step that builds one Go main package (see goBuild) and checks `<bin> <versionArgs>`. */
export function goBinaryStep(
  spec: GoModuleBuild,
  version: string,
  binName: string,
  versionArgs: string[],
  expect: string,
): Step<GoBinaryManifest> {
  const dirOf = (ctx: StepContext): string => toolDir(ctx.root, spec.tool, version);
  const versionLine = async (bin: string): Promise<string> => {
    const res = await run(bin, versionArgs, { timeoutMs: 30_000 });
    const out = (res.stdout + res.stderr).trim();
    if (res.code !== 0 || !out.includes(expect)) {
      throw new ToolchainError(
        'VERIFY_FAILED',
        `${bin} ${versionArgs.join(' ')} did not report ${expect}: ${out.slice(0, 200)}`,
        BOOTSTRAP_HINT,
      );
    }
    return out.split('\n').find((l) => l.includes(expect)) ?? out;
  };
  return {
    id: spec.tool,
    describe: () => `Go module ${spec.mainPackage} ${version} (Go module proxy, go build)`,
    async locate(ctx) {
      const dir = dirOf(ctx);
      const manifest = await readManifest<GoBinaryManifest>(dir);
      return manifest ? { dir, manifest } : undefined;
    },
    async verify(_ctx, { dir, manifest }: Installed<GoBinaryManifest>) {
      const bin = join(dir, manifest.bin);
      try {
        await access(bin, constants.X_OK);
      } catch {
        throw new ToolchainError('TOOLCHAIN_CORRUPT', `${bin} is missing`, BOOTSTRAP_HINT);
      }
      await versionLine(bin);
    },
    async install(ctx) {
      const dir = dirOf(ctx);
      const work = join(workDir(ctx.root, spec.tool), 'module');
      await mkdir(work, { recursive: true });
      const logFile = join(workDir(ctx.root, spec.tool), 'build.log');
      const manifest = await atomicInstall<GoBinaryManifest>(dir, async (tmp) => {
        await mkdir(join(tmp, 'bin'));
        const out = join(tmp, 'bin', binName);
        const built = await goBuild(spec, work, out, ctx.progress, logFile);
        const line = await versionLine(out);
        ctx.progress.info(spec.tool, `${line} (built in ${built.seconds}s)`);
        return {
          schema: 1,
          tool: spec.tool,
          version,
          installedAt: new Date().toISOString(),
          source: {
            registry: 'go',
            package: spec.mainPackage,
            version: `v${version}`,
            file: 'go.sum',
            sha256: await sha256File(join(work, 'go.sum')),
          },
          bin: `bin/${binName}`,
          versionLine: line,
          goVersion: built.goVersion,
          buildSeconds: built.seconds,
          goMod: await readFile(join(work, 'go.mod'), 'utf8'),
        };
      });
      return { dir, manifest };
    },
  };
}

export const etcdStep = goBinaryStep(
  ETCD_BUILD,
  ETCD_VERSION,
  'etcd',
  ['--version'],
  `etcd Version: ${ETCD_VERSION}`,
);
export const kubeApiserverStep = goBinaryStep(
  KUBE_APISERVER_BUILD,
  KUBERNETES_VERSION,
  'kube-apiserver',
  ['--version'],
  `Kubernetes v${KUBERNETES_VERSION}`,
);
export const kustomizeStep = goBinaryStep(
  KUSTOMIZE_BUILD,
  KUSTOMIZE_VERSION,
  'kustomize',
  ['version'],
  `v${KUSTOMIZE_VERSION}`,
);
