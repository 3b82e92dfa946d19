// The shape floor of the side-by-side bench: what the product's fixed shape costs with nothing of
// ours in it. A second Envoy runs the product bootstrap itself (header hygiene, ext_proc on the
// stream route with request headers only, the ORIGINAL_DST replica cluster), in front of two
// stand-in Node processes (paths/shape-floor-server.ts): placement's, which admits without a
// queue or journal and answers ext_proc at once, and the sidecar's, which pipes the engine's
// bytes back unchanged. A request takes the OrchQueue route (POST /v1/tasks, then
// GET /v1/tasks/{id}/stream), so it wakes the same processes the full path does, minus the Assign
// round trip: the added TTFT of this path is the floor any placement service and sidecar in this
// shape start from on this machine.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderEnvoyBootstrap } from '@llama-orch/envoy';
import { waitForHttp } from '@llama-orch/tools';
import type { Supervisor, Toolchain } from '@llama-orch/tools';
import { REPO_ROOT } from '../../src/stack/services.js';

/** The engine a shape-floor task runs on (`host:port`), set by the client on its POST. */
export const ENGINE_HEADER = 'x-bench-engine';
/** The engine request body (base64), from the placement stand-in to the relay stand-in. */
export const BODY_HEADER = 'x-bench-body';

export interface ShapeFloor {
  /** The shape Envoy's public URL. */
  readonly url: string;
  /** Process names, for the CPU table. */
  readonly names: readonly string[];
  tail(): string[];
}

interface ShapeFloorPorts {
  envoy: number;
  admin: number;
  rest: number;
  extProc: number;
  relay: number;
}

const SERVER = join(REPO_ROOT, 'test-harness', 'bench', 'paths', 'shape-floor-server.ts');

export async function startShapeFloor(
  sup: Supervisor,
  toolchain: Toolchain,
  dir: string,
  ports: ShapeFloorPorts,
): Promise<ShapeFloor> {
  const node = (name: string, args: string[]) =>
    sup.start({
      name,
      cmd: process.execPath,
      args: ['--import', 'tsx', SERVER, ...args],
      cwd: REPO_ROOT,
    });
  const placement = node('shape-placement', [
    '--role',
    'placement',
    '--rest-port',
    String(ports.rest),
    '--ext-proc-port',
    String(ports.extProc),
    '--relay',
    `127.0.0.1:${ports.relay}`,
  ]);
  const relay = node('shape-relay', ['--role', 'relay', '--port', String(ports.relay)]);
  const path = join(dir, 'envoy-shape.yaml');
  await writeFile(
    path,
    renderEnvoyBootstrap({
      listenPort: ports.envoy,
      adminPort: ports.admin,
      restPort: ports.rest,
      extProcPort: ports.extProc,
      accessLog: true,
    }),
  );
  const envoy = sup.start({
    name: 'envoy-shape',
    cmd: toolchain.envoy.bin,
    args: ['-c', path, '--use-dynamic-base-id', '--log-level', 'warn'],
  });
  const url = `http://127.0.0.1:${ports.envoy}`;
  const gone = (c: { name: string; exited: Promise<unknown>; tail(): string[] }) =>
    c.exited.then(() => `${c.name} exited: ${c.tail().join('\n')}`);
  // Envoy routes GET /v1/capabilities to the REST stand-in, which answers 404 once it listens
  // (after its ext_proc server is bound); Envoy itself would answer 503 or refuse.
  await waitForHttp(`${url}/v1/capabilities`, {
    timeoutMs: 60_000,
    status: 404,
    abortOn: Promise.race([gone(envoy), gone(placement), gone(relay)]),
  });
  return {
    url,
    names: ['envoy-shape', 'shape-placement', 'shape-relay'],
    tail: () => envoy.tail(),
  };
}
