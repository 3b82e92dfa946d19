// Model artifact checksum, verified before every launch (ORCH-3037, ORCH-5002).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export class ModelDigestMismatchError extends Error {
  override readonly name = 'ModelDigestMismatchError';
  readonly code = 'UNTRUSTED_ARTIFACT';
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `UNTRUSTED_ARTIFACT: model ${path} has sha256:${actual}, expected sha256:${expected}; refusing to load (ORCH-5002)`,
    );
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Returns the verified digest (lowercase hex) or throws ModelDigestMismatchError. */
export async function verifyModelDigest(path: string, expected: string): Promise<string> {
  const want = expected.toLowerCase().replace(/^sha256:/, '');
  const actual = await sha256File(path);
  if (actual !== want) throw new ModelDigestMismatchError(path, want, actual);
  return actual;
}
