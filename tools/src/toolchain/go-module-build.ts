// Builds one Go main package from modules the Go module proxy serves (ORCH-5001: a package
// registry is the only source). A small wrapper module pins the versions (require + replace),
// `go mod tidy` resolves its go.sum, then `go build -trimpath` links the binary. The wrapper lives
// in `<tool>/.work/module` and Go's own build cache (GOCACHE) is kept, so an interrupted or
// repeated build compiles only what changed; the result is cached by version like every tool.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ToolchainError } from './errors.js';
import { requireCommand, runChecked, which } from './exec.js';
import type { Progress } from './log.js';

export interface GoModuleBuild {
  /** Log/step id. */
  tool: string;
  /** Module path of the throwaway wrapper module. */
  wrapperModule: string;
  /** `go` directive of the wrapper (the highest `go` line of what it requires). */
  goVersion: string;
  /** module -> version, all `require`d. */
  require: Readonly<Record<string, string>>;
  /** module -> `module version` replacements (e.g. k8s.io staging modules). */
  replace?: Readonly<Record<string, string>>;
  /** Main package to build, e.g. go.etcd.io/etcd/server/v3. */
  mainPackage: string;
  /** `-X` assignments passed as -ldflags (version stamping). */
  ldflagsX?: Readonly<Record<string, string>>;
}

export const GO_FIX =
  'install Go >= 1.24 (Debian: apt-get install golang-go, or the Go release on PATH) and let it reach the Go module proxy';

/** The wrapper's go.mod text: requires and replaces, sorted so the file is stable. */
export function wrapperGoMod(spec: GoModuleBuild): string {
  const req = Object.entries(spec.require)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([m, v]) => `\t${m} ${v}`);
  const rep = Object.entries(spec.replace ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([m, to]) => `\t${m} => ${to}`);
  return [
    `module ${spec.wrapperModule}`,
    '',
    `go ${spec.goVersion}`,
    '',
    'require (',
    ...req,
    ')',
    ...(rep.length > 0 ? ['', 'replace (', ...rep, ')'] : []),
    '',
  ].join('\n');
}

/**
 * Builds `spec.mainPackage` into `outBin`. `work` keeps the wrapper module between runs. Progress
 * reports every 100 packages `go build -v` names, so a build of many minutes is visibly moving.
 */
export async function goBuild(
  spec: GoModuleBuild,
  work: string,
  outBin: string,
  progress: Progress,
  logFile: string,
): Promise<{ seconds: number; goVersion: string }> {
  const go = requireCommand('go', GO_FIX);
  const t0 = performance.now();
  const goVer = await runChecked('go version', go, ['version'], GO_FIX);
  await mkdir(work, { recursive: true });
  await writeFile(join(work, 'go.mod'), wrapperGoMod(spec));
  // A build-tagged import keeps the main package in the module graph for `go mod tidy`.
  await writeFile(
    join(work, 'tools.go'),
    `//go:build tools\n\npackage tools\n\nimport _ "${spec.mainPackage}"\n`,
  );
  const env = { ...process.env, GOFLAGS: '-mod=mod -buildvcs=false' };
  progress.info(spec.tool, `go mod tidy in ${work}`);
  await runChecked('go mod tidy', go, ['mod', 'tidy'], GO_FIX, { cwd: work, env, logFile });
  const ldflags = Object.entries(spec.ldflagsX ?? {})
    .map(([k, v]) => `-X ${k}=${v}`)
    .join(' ');
  // Two shared cores: -p 1 and nice keep the machine usable while the build runs.
  const args = [
    'build',
    '-v',
    '-trimpath',
    '-p',
    '1',
    '-ldflags',
    ldflags,
    '-o',
    outBin,
    spec.mainPackage,
  ];
  let built = 0;
  const onLine = (line: string): void => {
    if (line.trim() === '' || line.startsWith('go: ')) return;
    built += 1;
    if (built % 100 === 0) {
      progress.info(
        spec.tool,
        `compiled ${built} packages (${Math.round((performance.now() - t0) / 1000)}s)`,
      );
    }
  };
  const nice = which('nice');
  const [cmd, cmdArgs] = nice !== undefined ? [nice, ['-n', '10', go, ...args]] : [go, args];
  progress.info(spec.tool, `go ${args.join(' ')} (first build takes minutes; log ${logFile})`);
  try {
    await runChecked(`go build ${spec.mainPackage}`, cmd, cmdArgs, GO_FIX, {
      cwd: work,
      env,
      logFile,
      onLine,
    });
  } catch (e) {
    if (e instanceof ToolchainError) {
      throw new ToolchainError('BUILD_FAILED', e.message.split('\n  fix:')[0] ?? e.message, GO_FIX);
    }
    throw e;
  }
  return {
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    goVersion: goVer.stdout.trim(),
  };
}
