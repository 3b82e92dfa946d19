// `kustomize build` of a deploy/ directory with the toolchain's kustomize (ORCH-3110).
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { loadKubeControlPlane } from '@llama-orch/tools';
import { parseObjects } from './apply.js';

export const DEPLOY_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function kustomizeBuild(relDir: string): Promise<KubernetesObject[]> {
  const { kustomize } = await loadKubeControlPlane();
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      kustomize.bin,
      ['build', join(DEPLOY_DIR, relDir)],
      { timeout: 60_000, maxBuffer: 32 << 20 },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`kustomize build ${relDir}: ${stderr || err.message}`))
          : resolve(stdout),
    ),
  );
  return parseObjects(out);
}
