// Prometheus and promtool: the Debian package `prometheus` (bookworm), fetched with
// `apt-get download` (the package registry of this OS) and unpacked with `dpkg-deb -x`, so the
// cache holds just the two binaries and nothing is installed system-wide. Used by the metrics
// contract test (`promtool check metrics`), the rule check and the dashboard render check.
import { access, chmod, constants, copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOTSTRAP_HINT, ToolchainError } from '../errors.js';
import { run } from '../exec.js';
import type { ManifestBase } from '../manifest.js';
import { atomicInstall, readManifest, sha256File } from '../manifest.js';
import { toolDir, workDir } from '../paths.js';
import type { Installed, Step, StepContext } from './step.js';

const PROMETHEUS = {
  debName: 'prometheus',
  /** Upstream version; any Debian revision of it is accepted (security updates replace it). */
  version: '2.42.0',
  members: ['usr/bin/prometheus', 'usr/bin/promtool'],
} as const;

interface PrometheusManifest extends ManifestBase {
  tool: 'prometheus';
  /** Debian package version actually fetched, e.g. 2.42.0+ds-5+deb12u1. */
  debVersion: string;
  prometheus: string;
  promtool: string;
}

const TOOL = 'prometheus';
const dirOf = (ctx: StepContext): string => toolDir(ctx.root, TOOL, PROMETHEUS.version);

async function versionOf(bin: string): Promise<string> {
  const res = await run(bin, ['--version'], { timeoutMs: 30_000 });
  const line = (res.stdout + res.stderr).split('\n')[0] ?? '';
  if (res.code !== 0 || !line.includes(`version ${PROMETHEUS.version}`)) {
    throw new ToolchainError(
      'VERIFY_FAILED',
      `${bin} --version did not report ${PROMETHEUS.version}: ${line.slice(0, 200)}`,
      BOOTSTRAP_HINT,
    );
  }
  return line.trim();
}

/** `apt-get download`; refreshes the package lists once when the package is not known yet. */
async function downloadDeb(dl: string, ctx: StepContext): Promise<string> {
  const fetch = (): ReturnType<typeof run> =>
    run('apt-get', ['download', PROMETHEUS.debName], { cwd: dl, timeoutMs: 600_000 });
  let res = await fetch();
  if (res.code !== 0) {
    ctx.progress.info(TOOL, 'apt-get download failed; running apt-get update once');
    await run('apt-get', ['update', '-q'], { timeoutMs: 600_000 });
    res = await fetch();
  }
  const deb = (await readdir(dl)).find((f) => f.startsWith(`${PROMETHEUS.debName}_`));
  if (res.code !== 0 || deb === undefined) {
    throw new ToolchainError(
      'FETCH_FAILED',
      `apt-get download ${PROMETHEUS.debName} failed: ${(res.stdout + res.stderr).trim().slice(-300)}`,
      'needs Debian apt sources (bookworm) and network access to the Debian mirror',
    );
  }
  return join(dl, deb);
}

export const prometheusStep: Step<PrometheusManifest> = {
  id: TOOL,
  describe: () =>
    `Debian package ${PROMETHEUS.debName} ${PROMETHEUS.version}+ds (apt-get download)`,

  async locate(ctx) {
    const dir = dirOf(ctx);
    const manifest = await readManifest<PrometheusManifest>(dir);
    return manifest ? { dir, manifest } : undefined;
  },

  async verify(_ctx, { dir, manifest }: Installed<PrometheusManifest>) {
    for (const bin of [manifest.prometheus, manifest.promtool]) {
      const path = join(dir, bin);
      try {
        await access(path, constants.X_OK);
      } catch {
        throw new ToolchainError('TOOLCHAIN_CORRUPT', `${path} is missing`, BOOTSTRAP_HINT);
      }
      await versionOf(path);
    }
  },

  async install(ctx) {
    const dir = dirOf(ctx);
    const dl = join(workDir(ctx.root, TOOL), `dl-${process.pid}`);
    await rm(dl, { recursive: true, force: true });
    await mkdir(dl, { recursive: true });
    try {
      ctx.progress.info(TOOL, `apt-get download ${PROMETHEUS.debName}`);
      const deb = await downloadDeb(dl, ctx);
      const fields = await run('dpkg-deb', ['-f', deb, 'Version'], { timeoutMs: 30_000 });
      const debVersion = fields.stdout.trim();
      if (!debVersion.startsWith(`${PROMETHEUS.version}+`)) {
        throw new ToolchainError(
          'FETCH_FAILED',
          `the mirror offers ${PROMETHEUS.debName} ${debVersion}, pinned ${PROMETHEUS.version}`,
          'update PROMETHEUS.version in tools/src/toolchain/steps/prometheus.ts',
        );
      }
      const unpacked = join(dl, 'x');
      const x = await run('dpkg-deb', ['-x', deb, unpacked], { timeoutMs: 120_000 });
      if (x.code !== 0) throw new ToolchainError('FETCH_FAILED', x.stderr, BOOTSTRAP_HINT);
      const sha256 = await sha256File(deb);
      const manifest = await atomicInstall<PrometheusManifest>(dir, async (tmp) => {
        await mkdir(join(tmp, 'bin'));
        for (const member of PROMETHEUS.members) {
          const bin = join(tmp, 'bin', member.split('/').pop() ?? member);
          await copyFile(join(unpacked, member), bin);
          await chmod(bin, 0o755);
          ctx.progress.info(TOOL, await versionOf(bin));
        }
        return {
          schema: 1,
          tool: TOOL,
          version: PROMETHEUS.version,
          installedAt: new Date().toISOString(),
          source: {
            registry: 'debian',
            package: PROMETHEUS.debName,
            version: debVersion,
            file: deb.split('/').pop() ?? deb,
            sha256,
          },
          debVersion,
          prometheus: 'bin/prometheus',
          promtool: 'bin/promtool',
        };
      });
      return { dir, manifest };
    } finally {
      await rm(dl, { recursive: true, force: true });
    }
  },
};
