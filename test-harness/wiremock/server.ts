// A real WireMock standalone server (the jar the bootstrap fetched from Maven Central) on a free
// loopback port, programmed with wiremock-captain. One JVM per test file: start in beforeAll,
// stop in afterAll.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEPS, cacheRoot, freePort, ToolchainError, BOOTSTRAP_HINT } from '@llama-orch/tools';
import { WireMock } from 'wiremock-captain';

export interface WireMockServer {
  /** Base URL engines are reached at, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** wiremock-captain client for this server. */
  readonly mock: WireMock;
  /** Last output lines of the JVM, for assertion messages. */
  tail(): string;
  stop(): Promise<void>;
}

const quiet = { info: () => undefined, warn: () => undefined, elapsed: () => 0 };

/** Path of the cached WireMock standalone jar; throws a ToolchainError with a fix when absent. */
export async function wiremockJar(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const step = STEPS.find((s) => s.id === 'wiremock');
  const found = step && (await step.locate({ root: cacheRoot(env), env, progress: quiet }));
  const jar = found && (found.manifest as unknown as { jar?: unknown }).jar;
  if (!found || typeof jar !== 'string') {
    throw new ToolchainError(
      'TOOLCHAIN_MISSING',
      'the WireMock jar is not in the toolchain cache',
      BOOTSTRAP_HINT,
    );
  }
  return join(found.dir, jar);
}

async function waitHealthy(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  tail: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`WireMock exited (${child.exitCode}): ${tail()}`);
    try {
      const res = await fetch(`${url}/__admin/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`WireMock not healthy within ${timeoutMs} ms: ${tail()}`);
}

export async function startWireMock(opts: { timeoutMs?: number } = {}): Promise<WireMockServer> {
  const jar = await wiremockJar();
  const port = await freePort();
  // WireMock keeps its `mappings/` and `__files/` under its root dir, by default the working
  // directory (the repo); a temporary one leaves nothing behind.
  const rootDir = mkdtempSync(join(tmpdir(), 'wiremock-'));
  const child = spawn(
    'java',
    [
      // Quick start on a loaded 2-core machine: C1 only, small heap.
      '-XX:TieredStopAtLevel=1',
      '-Xmx256m',
      '-jar',
      jar,
      '--port',
      String(port),
      '--bind-address',
      '127.0.0.1',
      '--disable-banner',
      '--root-dir',
      rootDir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const tail = (): string => out.slice(-1500);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(rootDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(url, child, opts.timeoutMs ?? 60_000, tail);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, mock: new WireMock(url), tail, stop };
}
