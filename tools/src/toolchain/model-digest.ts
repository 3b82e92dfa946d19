// ORCH-5002 / ORCH-3037: the model file is checksummed before any engine loads it.
import { ToolchainError } from './errors.js';
import { sha256File } from './manifest.js';

export function toDigest(sha256Hex: string): string {
  return `sha256:${sha256Hex}`;
}

/**
 * Re-hashes `path` and throws MODEL_DIGEST_MISMATCH unless it equals `expected`
 * (`sha256:<hex>` or bare hex). Returns the digest on success.
 */
export async function verifyModelFile(path: string, expected: string): Promise<string> {
  const want = expected.startsWith('sha256:') ? expected.slice('sha256:'.length) : expected;
  let actual: string;
  try {
    actual = await sha256File(path);
  } catch (e) {
    throw new ToolchainError(
      'TOOLCHAIN_MISSING',
      `model file ${path} cannot be read`,
      'run `npm run bootstrap` to fetch it again',
      { cause: e },
    );
  }
  if (actual !== want) {
    throw new ToolchainError(
      'MODEL_DIGEST_MISMATCH',
      `model ${path} refused: sha256 is ${actual}, expected ${want} (model_digest). ` +
        'The file was modified or corrupted; it will not be loaded',
      'delete the model cache dir and run `npm run bootstrap` to fetch a clean copy',
    );
  }
  return toDigest(actual);
}
