// Test helpers: sidecars supervising the engine-sim llama-server shim (a real child process per
// engine, launched through the llama.cpp launcher exactly as llama-server is), model files whose
// bytes seed the simulator, and readers for what the fake placement saw.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Heartbeat, Register, ReloadResult, SidecarMessage } from '@llama-orch/proto';
import {
  sha256Hex,
  simModelText,
  writeShimWrapper,
  type SimDirective,
} from '@llama-orch/test-harness/engine-sim';
import type { FakePlacement } from './support/fake-placement.js';

export interface SimModelFile {
  ref: string;
  path: string;
  /** `sha256:<hex>` of the file. */
  digest: string;
}

export interface SimWorkspace {
  dir: string;
  /** The executable llama-server stand-in. */
  binary: string;
  model(ref: string, directives?: SimDirective[]): Promise<SimModelFile>;
  remove(): Promise<void>;
}

export async function simWorkspace(): Promise<SimWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-sim-'));
  const binary = await writeShimWrapper(dir);
  return {
    dir,
    binary,
    model: async (ref, directives = []) => {
      const text = simModelText(ref, directives);
      const path = join(dir, `${ref}.gguf`);
      await writeFile(path, text);
      return { ref, path, digest: `sha256:${sha256Hex(text)}` };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export function registerOf(m: SidecarMessage): Register | undefined {
  return m.msg?.$case === 'register' ? m.msg.value : undefined;
}

function heartbeatOf(m: SidecarMessage): Heartbeat | undefined {
  return m.msg?.$case === 'heartbeat' ? m.msg.value : undefined;
}

export function reloadResultOf(m: SidecarMessage): ReloadResult | undefined {
  return m.msg?.$case === 'reloadResult' ? m.msg.value : undefined;
}

/** The first heartbeat (seen from index `from` on) that matches. */
export async function heartbeatWhere(
  placement: FakePlacement,
  pred: (hb: Heartbeat) => boolean,
  timeoutMs: number,
  from = 0,
): Promise<Heartbeat> {
  const m = await placement.waitFor((x) => {
    const hb = heartbeatOf(x);
    return hb !== undefined && pred(hb) && placement.messages.indexOf(x) >= from;
  }, timeoutMs);
  return heartbeatOf(m) as Heartbeat;
}
