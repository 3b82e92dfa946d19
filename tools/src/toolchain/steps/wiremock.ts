// WireMock: the standalone jar from Maven Central, fetched with Maven's own client (`mvn
// dependency:copy`, strict checksums) and checked twice: against the `.sha1` file Maven Central
// publishes beside the jar, and against the sha256 pinned here. Runs on the machine's Java 17.
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { BOOTSTRAP_HINT, ToolchainError } from '../errors.js';
import { run } from '../exec.js';
import type { ManifestBase } from '../manifest.js';
import { atomicInstall, readManifest, sha256File } from '../manifest.js';
import { toolDir, workDir } from '../paths.js';
import type { Installed, Step, StepContext } from './step.js';

const WIREMOCK = {
  groupId: 'org.wiremock',
  artifactId: 'wiremock-standalone',
  version: '3.13.2',
  /** Maven Central's published sha1 (wiremock-standalone-3.13.2.jar.sha1). */
  sha1: '8bfbad28c85f7b4927694491f2c8030c898c72a9',
  sha256: 'd097b19bd483c5038479b13a5c71e9faf8f2f5106584f0c120a7770ab0bdb367',
} as const;

interface WiremockManifest extends ManifestBase {
  tool: 'wiremock';
  /** Jar path relative to the install dir. */
  jar: string;
  sha1: string;
}

const TOOL = 'wiremock';
const JAR = `${WIREMOCK.artifactId}-${WIREMOCK.version}.jar`;
const coordinate = `${WIREMOCK.groupId}:${WIREMOCK.artifactId}:${WIREMOCK.version}:jar`;
const dirOf = (ctx: StepContext): string => toolDir(ctx.root, TOOL, WIREMOCK.version);

async function sha1File(path: string): Promise<string> {
  const h = createHash('sha1');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** `java -jar <jar> --version` must print the pinned version. */
async function checkRuns(jar: string): Promise<void> {
  const res = await run('java', ['-jar', jar, '--version'], { timeoutMs: 60_000 });
  if (res.code !== 0 || !res.stdout.includes(WIREMOCK.version)) {
    throw new ToolchainError(
      'VERIFY_FAILED',
      `java -jar ${jar} --version did not print ${WIREMOCK.version} (exit ${res.code}): ${(res.stdout + res.stderr).trim().slice(0, 300)}`,
      'install Java 17+ (`apt-get install openjdk-17-jre-headless`), then re-run `npm run bootstrap`',
    );
  }
}

export const wiremockStep: Step<WiremockManifest> = {
  id: 'wiremock',
  describe: () => `${coordinate} (Maven Central, via mvn dependency:copy)`,

  async locate(ctx) {
    const dir = dirOf(ctx);
    const manifest = await readManifest<WiremockManifest>(dir);
    return manifest ? { dir, manifest } : undefined;
  },

  async verify(_ctx, { dir, manifest }: Installed<WiremockManifest>) {
    const jar = join(dir, manifest.jar);
    try {
      await stat(jar);
    } catch {
      throw new ToolchainError(
        'TOOLCHAIN_CORRUPT',
        `wiremock jar missing at ${jar}`,
        BOOTSTRAP_HINT,
      );
    }
    const actual = await sha256File(jar);
    if (actual !== WIREMOCK.sha256) {
      throw new ToolchainError(
        'TOOLCHAIN_CORRUPT',
        `${jar} sha256 is ${actual}, pinned ${WIREMOCK.sha256}`,
        BOOTSTRAP_HINT,
      );
    }
    await checkRuns(jar);
  },

  async install(ctx) {
    const dir = dirOf(ctx);
    const work = workDir(ctx.root, TOOL);
    const repo = join(work, 'm2');
    const out = join(work, `dl-${process.pid}`);
    await mkdir(out, { recursive: true });
    try {
      ctx.progress.info(TOOL, `downloading ${coordinate} from Maven Central`);
      // -C: fail on a checksum mismatch against the repository's .sha1/.md5 files.
      const res = await run(
        'mvn',
        [
          '-B',
          '-q',
          '-C',
          `-Dmaven.repo.local=${repo}`,
          'dependency:copy',
          `-Dartifact=${coordinate}`,
          `-DoutputDirectory=${out}`,
        ],
        { timeoutMs: 600_000, env: ctx.env },
      ).catch((err: unknown) => {
        throw new ToolchainError(
          'PREREQUISITE_MISSING',
          `mvn could not be run: ${err instanceof Error ? err.message : String(err)}`,
          'install Maven (`apt-get install maven`), then re-run `npm run bootstrap`',
        );
      });
      if (res.code !== 0) {
        throw new ToolchainError(
          'FETCH_FAILED',
          `mvn dependency:copy ${coordinate} failed (exit ${res.code}): ${(res.stdout + res.stderr).trim().slice(-600)}`,
          'check that Maven Central is reachable, then re-run `npm run bootstrap`',
        );
      }
      const jar = join(out, JAR);
      const published = join(
        repo,
        ...WIREMOCK.groupId.split('.'),
        WIREMOCK.artifactId,
        WIREMOCK.version,
        `${JAR}.sha1`,
      );
      const sha1Published = (await readFile(published, 'utf8')).trim().split(/\s+/)[0] ?? '';
      const sha1 = await sha1File(jar);
      const sha256 = await sha256File(jar);
      if (sha1 !== sha1Published || sha1 !== WIREMOCK.sha1 || sha256 !== WIREMOCK.sha256) {
        throw new ToolchainError(
          'TOOLCHAIN_CORRUPT',
          `${JAR}: sha1 ${sha1} (published ${sha1Published}, pinned ${WIREMOCK.sha1}), sha256 ${sha256} (pinned ${WIREMOCK.sha256})`,
          'Maven Central served different bytes than pinned: check your Maven mirror, then re-run `npm run bootstrap`',
        );
      }
      ctx.progress.info(TOOL, `${JAR} sha1 matches Maven Central's .sha1 and the pin`);
      const manifest = await atomicInstall<WiremockManifest>(dir, async (tmp) => {
        await copyFile(jar, join(tmp, JAR));
        await checkRuns(join(tmp, JAR));
        return {
          schema: 1,
          tool: 'wiremock',
          version: WIREMOCK.version,
          installedAt: new Date().toISOString(),
          source: {
            registry: 'maven',
            package: `${WIREMOCK.groupId}:${WIREMOCK.artifactId}`,
            version: WIREMOCK.version,
            file: JAR,
            sha256,
          },
          jar: JAR,
          sha1,
        };
      });
      return { dir, manifest };
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  },
};
