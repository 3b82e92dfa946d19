// schemathesis (the OpenAPI fuzzer of the contract suite, ORCH-3144): a Python venv under the cache
// with schemathesis and every one of its dependencies pinned to an exact version and installed
// with `pip install --no-deps`, so the resolver never picks anything unpinned. PyPI serves each
// file of a release immutably, so the versions fix the bytes. The venv is built in the install's
// temp dir and renamed into place; it is run as `venv/bin/python -m schemathesis.cli`, which
// finds the venv through pyvenv.cfg beside that interpreter wherever the directory lives.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOTSTRAP_HINT, ToolchainError } from '../errors.js';
import { run } from '../exec.js';
import type { ManifestBase } from '../manifest.js';
import { atomicInstall, readManifest } from '../manifest.js';
import { toolDir } from '../paths.js';
import type { Installed, Step, StepContext } from './step.js';

export const SCHEMATHESIS_VERSION = '4.32.5';

/** `pip freeze` of a venv with schemathesis 4.32.5 (Python 3.11): the whole closure, exact. */
export const SCHEMATHESIS_REQUIREMENTS: readonly string[] = [
  'anyio==4.16.0',
  'certifi==2026.10.19.post1',
  'charset-normalizer==3.5.3',
  'click==8.5.1',
  'graphql-core==3.3.2',
  'harfile==0.6.0',
  'hypothesis==6.170.27',
  'hypothesis-graphql==0.13.5',
  'idna==3.21',
  'iniconfig==2.3.1',
  'jsonschema_rs==0.60.3',
  'markdown-it-py==4.3.0',
  'MarkupSafe==3.0.4',
  'mdurl==0.1.2',
  'packaging==26.4',
  'pluggy==1.7.0',
  'Pygments==2.21.0',
  'pyrate-limiter==4.6.0',
  'pytest==9.2.0',
  'PyYAML==6.0.4',
  'requests==2.34.2',
  'rich==15.0.0',
  `schemathesis==${SCHEMATHESIS_VERSION}`,
  'sortedcontainers==2.4.0',
  'typing_extensions==4.16.0',
  'urllib3==2.8.0',
  'Werkzeug==3.1.9',
];

interface SchemathesisManifest extends ManifestBase {
  tool: 'schemathesis';
  /** The venv's interpreter, relative to the install dir. */
  python: string;
}

const TOOL = 'schemathesis';
const PYTHON = join('venv', 'bin', 'python');
const dirOf = (ctx: StepContext): string => toolDir(ctx.root, TOOL, SCHEMATHESIS_VERSION);
const requirementsText = (): string => `${SCHEMATHESIS_REQUIREMENTS.join('\n')}\n`;

/** `python -m schemathesis.cli --version` must name the pinned version. */
async function checkRuns(python: string, ctx: StepContext): Promise<void> {
  const res = await run(python, ['-m', 'schemathesis.cli', '--version'], {
    timeoutMs: 120_000,
    env: ctx.env,
  }).catch((e: unknown) => ({ code: -1, stdout: '', stderr: String(e) }));
  if (res.code !== 0 || !res.stdout.includes(SCHEMATHESIS_VERSION)) {
    throw new ToolchainError(
      'VERIFY_FAILED',
      `${python} -m schemathesis.cli --version did not print ${SCHEMATHESIS_VERSION} (exit ${res.code}): ${(res.stdout + res.stderr).trim().slice(0, 300)}`,
      BOOTSTRAP_HINT,
    );
  }
}

export const schemathesisStep: Step<SchemathesisManifest> = {
  id: 'schemathesis',
  describe: () => `schemathesis==${SCHEMATHESIS_VERSION} and its pinned closure (PyPI, venv)`,

  async locate(ctx) {
    const dir = dirOf(ctx);
    const manifest = await readManifest<SchemathesisManifest>(dir);
    return manifest ? { dir, manifest } : undefined;
  },

  async verify(ctx, { dir, manifest }: Installed<SchemathesisManifest>) {
    const pinned = createHash('sha256').update(requirementsText()).digest('hex');
    if (manifest.source.sha256 !== pinned) {
      throw new ToolchainError(
        'TOOLCHAIN_CORRUPT',
        `${dir} was installed from other pins (requirements sha256 ${manifest.source.sha256}, pinned ${pinned})`,
        BOOTSTRAP_HINT,
      );
    }
    await checkRuns(join(dir, manifest.python), ctx);
  },

  async install(ctx) {
    const dir = dirOf(ctx);
    const manifest = await atomicInstall<SchemathesisManifest>(dir, async (tmp) => {
      const requirements = join(tmp, 'requirements.txt');
      await writeFile(requirements, requirementsText());
      ctx.progress.info(TOOL, `creating a venv with schemathesis==${SCHEMATHESIS_VERSION}`);
      const venv = await run('python3', ['-m', 'venv', join(tmp, 'venv')], {
        timeoutMs: 120_000,
        env: ctx.env,
      }).catch((e: unknown) => ({ code: -1, stdout: '', stderr: String(e) }));
      if (venv.code !== 0) {
        throw new ToolchainError(
          'PREREQUISITE_MISSING',
          `python3 -m venv failed (exit ${venv.code}): ${venv.stderr.trim().slice(-300)}`,
          'install Python 3 with venv and pip (`apt-get install python3-venv`), then re-run `npm run bootstrap`',
        );
      }
      const pip = await run(
        join(tmp, PYTHON),
        [
          '-m',
          'pip',
          'install',
          '--disable-pip-version-check',
          '--no-input',
          '-q',
          '--no-deps',
          '-r',
          requirements,
        ],
        { timeoutMs: 600_000, env: ctx.env },
      );
      if (pip.code !== 0) {
        throw new ToolchainError(
          'FETCH_FAILED',
          `pip install of the pinned schemathesis closure failed (exit ${pip.code}): ${(pip.stdout + pip.stderr).trim().slice(-600)}`,
          'check that PyPI is reachable, then re-run `npm run bootstrap`',
        );
      }
      await checkRuns(join(tmp, PYTHON), ctx);
      return {
        schema: 1,
        tool: 'schemathesis',
        version: SCHEMATHESIS_VERSION,
        installedAt: new Date().toISOString(),
        source: {
          registry: 'pypi',
          package: 'schemathesis',
          version: SCHEMATHESIS_VERSION,
          file: 'requirements.txt',
          sha256: createHash('sha256').update(requirementsText()).digest('hex'),
        },
        python: PYTHON,
      };
    });
    return { dir, manifest };
  },
};
