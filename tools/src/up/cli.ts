// `npm run up`: verify the toolchain, start every service in order (each proven healthy before
// the next), print where to go, and stop everything on Ctrl-C (ORCH-5003).
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForHttp } from '../procs/health.js';
import { Supervisor } from '../procs/supervisor.js';
import { isToolchainError } from '../toolchain/errors.js';
import { loadToolchain } from '../toolchain/load.js';
import type { Ports, UpContext } from './services.js';
import { SERVICES, portsFromEnv } from './services.js';

const t0 = performance.now();
const secs = (): string => ((performance.now() - t0) / 1000).toFixed(1);
const log = (msg: string): void => {
  process.stderr.write(`[up +${secs()}s] ${msg}\n`);
};

function assertPortFree(port: number, envKey: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', () =>
      reject(new Error(`port ${port} on 127.0.0.1 is in use; stop what holds it or set ${envKey}`)),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

async function checkPorts(p: Ports): Promise<void> {
  await assertPortFree(p.envoy, 'LLAMA_ORCH_ENVOY_PORT');
  await assertPortFree(p.envoyAdmin, 'LLAMA_ORCH_ENVOY_ADMIN_PORT');
  await assertPortFree(p.engine, 'LLAMA_ORCH_ENGINE_PORT');
}

function banner(ctx: UpContext): string {
  const url = `http://127.0.0.1:${ctx.ports.envoy}`;
  const tc = ctx.toolchain;
  return [
    '',
    `llama-orch is up in ${secs()}s: ${url} (Envoy edge -> llama-server)`,
    `  engine   llama-server ${tc.llamaServer.buildInfo} (${tc.llamaServer.flavour}), 127.0.0.1:${ctx.ports.engine}`,
    `  model    ${tc.model.name} ${tc.model.digest}`,
    `  admin    http://127.0.0.1:${ctx.ports.envoyAdmin}/`,
    '  try:',
    `    curl -s ${url}/v1/chat/completions -H 'content-type: application/json' \\`,
    `      -d '{"messages":[{"role":"user","content":"Write a haiku about queues."}],"max_tokens":48,"seed":1}'`,
    '  Ctrl-C stops every process.',
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const ports = portsFromEnv();
  log('verifying toolchain and model digest');
  const toolchain = await loadToolchain({ verifyModel: true });
  log(`model ${toolchain.model.name} ${toolchain.model.digest} verified`);
  await checkPorts(ports);
  const tmp = await mkdtemp(join(tmpdir(), 'llama-orch-up-'));
  const ctx: UpContext = { toolchain, ports, tmp, log };
  const sup = new Supervisor();
  // Synchronous, so it also runs when a signal handler calls process.exit().
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  sup.installSignalHandlers((sig) => log(`${sig}: stopping ${sup.list().length} process(es)`));
  try {
    for (const svc of SERVICES) {
      const spec = await svc.prepare(ctx);
      const child = sup.start(spec);
      log(`${svc.name}: started pid ${child.pid}, waiting for ${svc.healthUrl(ctx)}`);
      const died = child.exited.then(
        (e) => `${svc.name} exited (code ${e.code}, signal ${e.signal})`,
      );
      const ms = await waitForHttp(svc.healthUrl(ctx), {
        timeoutMs: svc.healthTimeoutMs,
        abortOn: died,
      });
      log(`${svc.name}: healthy after ${(ms / 1000).toFixed(1)}s`);
    }
  } catch (e) {
    log(`start failed: ${e instanceof Error ? e.message : String(e)}`);
    await sup.stopAll();
    return 1;
  }
  process.stdout.write(banner(ctx) + '\n');
  // Stay in the foreground; if any child dies on its own, take the rest down and fail.
  const first = await Promise.race(
    sup.list().map((c) => c.exited.then((e) => ({ name: c.name, ...e }))),
  );
  if (sup.isStopping()) {
    // A signal handler is shutting everything down and will exit with 130/143.
    await sup.stopAll();
    return 130;
  }
  log(`${first.name} exited unexpectedly (code ${first.code}, signal ${first.signal}); stopping`);
  await sup.stopAll();
  return 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isToolchainError(e)) log(`cannot start [${e.code}]: ${e.message}`);
    else log(`cannot start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
