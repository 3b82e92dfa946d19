// Real Envoy in front of a gateway started in-process: the rendered bootstrap, a child process on
// free loopback ports, stopped by `close()` (SIGTERM, then SIGKILL after 5 s).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderEnvoyBootstrap } from '@llama-orch/envoy';
import type { ExtProcTlsOptions } from '@llama-orch/envoy';
import { freePorts, loadToolchain, runLogWriter, waitForHttp } from '@llama-orch/tools';

export interface EnvoyEdge {
  /** http://127.0.0.1:<listener> */
  readonly url: string;
  close(): Promise<void>;
}

export async function startEnvoyEdge(
  gateway: { restPort: number; extProcPort: number },
  /** Mutual TLS to placement's ext_proc listener (its SDS files already written). */
  extProcTls?: ExtProcTlsOptions,
): Promise<EnvoyEdge> {
  return startEnvoy((listenPort, adminPort) =>
    renderEnvoyBootstrap({
      listenPort,
      adminPort,
      restPort: gateway.restPort,
      extProcPort: gateway.extProcPort,
      extProcMessageTimeoutMs: 20_000,
      ...(extProcTls ? { extProcTls } : {}),
    }),
  );
}

/** The toolchain's Envoy on a bootstrap that `render` writes for two free loopback ports. */
export async function startEnvoy(
  render: (listenPort: number, adminPort: number) => string,
): Promise<EnvoyEdge> {
  const toolchain = await loadToolchain();
  const [listenPort, adminPort] = await freePorts(2);
  const dir = await mkdtemp(join(tmpdir(), 'orch-gw-edge-'));
  const file = join(dir, 'envoy.yaml');
  if (listenPort === undefined || adminPort === undefined) throw new Error('no free ports');
  await writeFile(file, render(listenPort, adminPort));
  let log = '';
  const child = spawn(
    toolchain.envoy.bin,
    [
      '-c',
      file,
      '--use-dynamic-base-id',
      '--log-level',
      'warn',
      '--concurrency',
      '1',
      '--disable-hot-restart',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // ORCH-3141: Envoy's output also goes to the run's log directory, which the key scan searches.
  const runLog = runLogWriter('envoy-edge');
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-8000);
    runLog?.(d.toString());
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((r) =>
    child.once('exit', (code) => r(`envoy exited ${code}: ${log}`)),
  );
  const close = async (): Promise<void> => {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${adminPort}/ready`, {
      timeoutMs: 20_000,
      abortOn: exited,
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { url: `http://127.0.0.1:${listenPort}`, close };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
