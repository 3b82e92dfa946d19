import { basename } from 'node:path';
import { ToolchainError } from '../errors.js';
import { sha256File } from '../manifest.js';
import type { StepContext } from './step.js';

/**
 * Checks a downloaded wheel against the pinned digest for its file name. A wheel for a platform
 * we have no pin for (e.g. aarch64) is accepted with a warning, and its digest is recorded.
 */
export async function checkWheelDigest(
  ctx: StepContext,
  step: string,
  wheel: string,
  pins: Record<string, string>,
): Promise<string> {
  const actual = await sha256File(wheel);
  const name = basename(wheel);
  const expected = pins[name];
  if (expected === undefined) {
    ctx.progress.warn(step, `no pinned sha256 for ${name}; recording ${actual}`);
  } else if (expected !== actual) {
    throw new ToolchainError(
      'TOOLCHAIN_CORRUPT',
      `${name} sha256 is ${actual}, pinned ${expected}`,
      'the registry served different bytes than pinned: check your PyPI mirror, then re-run `npm run bootstrap`',
    );
  } else {
    ctx.progress.info(step, `${name} sha256 matches the pin`);
  }
  return actual;
}
