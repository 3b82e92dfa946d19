import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { manifestPath } from './paths.js';

/** Where an artifact came from; always a package registry (ORCH-5001). */
interface Source {
  registry: 'pypi' | 'npm' | 'maven' | 'debian' | 'go';
  package: string;
  version: string;
  /** File fetched from the registry and its sha256. */
  file: string;
  sha256: string;
}

export interface ManifestBase {
  schema: 1;
  tool: string;
  version: string;
  installedAt: string;
  source: Source;
}

export interface EnvoyManifest extends ManifestBase {
  tool: 'envoy';
  bin: string;
  /** Full `envoy --version` line. */
  versionLine: string;
}

export interface LlamaServerManifest extends ManifestBase {
  tool: 'llama-server';
  bin: string;
  commit: string;
  /** What the binary reports: `b<build>-<short commit>` (matches /props build_info). */
  buildInfo: string;
  /** llama.cpp's own version string from `--version` (e.g. "0.5.0-dev"), if printed. */
  llamaCppVersion: string | null;
  /** `git describe --tags` when the source has tags, else null. */
  tag: string | null;
  flavour: 'cpu' | 'cuda';
  cmakeArgs: string[];
  buildSeconds: number;
  buildLog: string;
}

/** Provenance of one slice of a split model (see ModelPart in pins.ts). */
export interface ModelPartProvenance {
  package: string;
  version: string;
  /** Wheel file fetched from PyPI and its sha256 (checked against the pin). */
  wheelFile: string;
  wheelSha256: string;
  /** Path of the slice inside the wheel, its sha256 and size (checked against the pin). */
  member: string;
  sha256: string;
  bytes: number;
}

export interface ModelManifest extends ManifestBase {
  tool: 'model';
  /** The model_ref, e.g. "SmolLM2-135M-Instruct-Q4_1". */
  name: string;
  path: string;
  sha256: string;
  /** `sha256:<hex>`: the model_digest label (ORCH-3032, ORCH-5002). */
  model_digest: string;
  bytes: number;
  /** Catalog id (pins.ts MODEL_CATALOG); absent in manifests written before the catalog. */
  id?: string;
  license?: string;
  /**
   * Split models: every part in assembly order. `source` then summarises the set: package
   * "<stem>1..N", file "<N> wheels", sha256 over the lines "<wheel sha256>  <wheel file>\n"
   * in part order (what `sha256sum` prints for the wheels).
   */
  parts?: ModelPartProvenance[];
}

export async function readManifest<M extends ManifestBase>(dir: string): Promise<M | undefined> {
  let text: string;
  try {
    text = await readFile(manifestPath(dir), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as M;
  return parsed.schema === 1 ? parsed : undefined;
}

/**
 * Installs into `finalDir` atomically: `fill` populates a sibling temp dir and returns the
 * manifest, which is written last; then the temp dir is renamed into place. A directory without
 * manifest.json is therefore never mistaken for a complete install.
 */
export async function atomicInstall<M extends ManifestBase>(
  finalDir: string,
  fill: (tmpDir: string) => Promise<M>,
): Promise<M> {
  const tmp = join(dirname(finalDir), `.tmp-${basename(finalDir)}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const manifest = await fill(tmp);
    await writeFile(manifestPath(tmp), JSON.stringify(manifest, null, 2) + '\n');
    await rm(finalDir, { recursive: true, force: true });
    await rename(tmp, finalDir);
    return manifest;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
