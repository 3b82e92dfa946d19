// CustomResourceDefinitions of the meshes deploy/mesh plugs into (ORCH-3116): Gateway API,
// Envoy Gateway, Istio and the Gateway API Inference Extension, taken from the Go modules those
// projects publish (the Go module proxy is a package registry; `go mod download` verifies each zip
// against the checksum database). Only the CRD files are copied into the cache; nothing is built.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BOOTSTRAP_HINT, ToolchainError } from '../errors.js';
import { requireCommand, runChecked } from '../exec.js';
import { GO_FIX } from '../go-module-build.js';
import type { ManifestBase } from '../manifest.js';
import { atomicInstall, readManifest, sha256File } from '../manifest.js';
import { toolDir } from '../paths.js';
import type { Installed, Step } from './step.js';

interface CrdSource {
  module: string;
  version: string;
  /** Files inside the module, each a YAML stream of CustomResourceDefinitions. */
  files: readonly string[];
}

const KUBE_CRDS: readonly CrdSource[] = [
  {
    module: 'sigs.k8s.io/gateway-api',
    version: 'v1.6.3',
    files: [
      'config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml',
      'config/crd/standard/gateway.networking.k8s.io_gateways.yaml',
      'config/crd/standard/gateway.networking.k8s.io_httproutes.yaml',
      'config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml',
      'config/crd/standard/gateway.networking.k8s.io_referencegrants.yaml',
      'config/crd/standard/gateway.networking.k8s.io_backendtlspolicies.yaml',
    ],
  },
  {
    module: 'sigs.k8s.io/gateway-api-inference-extension',
    version: 'v1.6.2',
    files: ['config/crd/bases/inference.networking.k8s.io_inferencepools.yaml'],
  },
  {
    module: 'github.com/envoyproxy/gateway',
    version: 'v1.9.1',
    files: [
      'charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyextensionpolicies.yaml',
      'charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyproxies.yaml',
    ],
  },
  {
    module: 'istio.io/api',
    version: 'v1.32.0',
    files: ['kubernetes/customresourcedefinitions.gen.yaml'],
  },
];

/** Cache key: changes whenever a module, version or file list changes. */
const KUBE_CRDS_VERSION = KUBE_CRDS.map((s) => `${basename(s.module)}-${s.version}`).join('_');

interface KubeCrdsManifest extends ManifestBase {
  files: { module: string; version: string; path: string; file: string; sha256: string }[];
}

export const kubeCrdsStep: Step<KubeCrdsManifest> = {
  id: 'kube-crds',
  describe: () =>
    `CRDs from Go modules ${KUBE_CRDS.map((s) => `${s.module}@${s.version}`).join(', ')}`,
  async locate(ctx) {
    const dir = toolDir(ctx.root, 'kube-crds', KUBE_CRDS_VERSION);
    const manifest = await readManifest<KubeCrdsManifest>(dir);
    return manifest ? { dir, manifest } : undefined;
  },
  async verify(_ctx, { dir, manifest }: Installed<KubeCrdsManifest>) {
    for (const f of manifest.files) {
      const path = join(dir, f.file);
      let sha = '';
      try {
        sha = await sha256File(path);
      } catch {
        throw new ToolchainError('TOOLCHAIN_CORRUPT', `${path} is missing`, BOOTSTRAP_HINT);
      }
      if (sha !== f.sha256)
        throw new ToolchainError('TOOLCHAIN_CORRUPT', `${path} changed`, BOOTSTRAP_HINT);
    }
  },
  async install(ctx) {
    const go = requireCommand('go', GO_FIX);
    const dir = toolDir(ctx.root, 'kube-crds', KUBE_CRDS_VERSION);
    const manifest = await atomicInstall<KubeCrdsManifest>(dir, async (tmp) => {
      const files: KubeCrdsManifest['files'] = [];
      for (const s of KUBE_CRDS) {
        ctx.progress.info('kube-crds', `go mod download ${s.module}@${s.version}`);
        // Outside any module, so nothing here edits a go.mod.
        const res = await runChecked(
          `go mod download ${s.module}`,
          go,
          ['mod', 'download', '-json', `${s.module}@${s.version}`],
          GO_FIX,
          {
            cwd: tmp,
            env: { ...process.env, GO111MODULE: 'on', GOFLAGS: '-mod=mod' },
            timeoutMs: 600_000,
          },
        );
        const modDir = (JSON.parse(res.stdout) as { Dir?: string }).Dir;
        if (modDir === undefined)
          throw new ToolchainError('FETCH_FAILED', `no Dir for ${s.module}@${s.version}`, GO_FIX);
        const sub = join(tmp, basename(s.module));
        await mkdir(sub, { recursive: true });
        for (const path of s.files) {
          const file = join(basename(s.module), basename(path));
          await copyFile(join(modDir, path), join(tmp, file));
          if (
            !(await readFile(join(tmp, file), 'utf8')).includes('kind: CustomResourceDefinition')
          ) {
            throw new ToolchainError(
              'FETCH_FAILED',
              `${s.module}@${s.version} ${path} holds no CRD`,
              BOOTSTRAP_HINT,
            );
          }
          files.push({
            module: s.module,
            version: s.version,
            path,
            file,
            sha256: await sha256File(join(tmp, file)),
          });
        }
      }
      return {
        schema: 1,
        tool: 'kube-crds',
        version: KUBE_CRDS_VERSION,
        installedAt: new Date().toISOString(),
        source: {
          registry: 'go',
          package: KUBE_CRDS.map((s) => s.module).join(','),
          version: KUBE_CRDS_VERSION,
          file: `${files.length} files`,
          sha256: '',
        },
        files,
      };
    });
    return { dir, manifest };
  },
};
