import { homedir } from 'node:os';
import { join } from 'node:path';

/** Cache root: `${LLAMA_ORCH_CACHE:-~/.cache/llama-orch}` (ORCH-5001). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.LLAMA_ORCH_CACHE?.trim();
  return v !== undefined && v !== '' ? v : join(homedir(), '.cache', 'llama-orch');
}

/** `<root>/<tool>/<version>/`: one installed artifact, complete once its manifest.json exists. */
export function toolDir(root: string, tool: string, version: string): string {
  return join(root, tool, version);
}

export function manifestPath(dir: string): string {
  return join(dir, 'manifest.json');
}

/** Scratch space that survives interruption (downloads, git clones, incremental builds). */
export function workDir(root: string, tool: string): string {
  return join(root, tool, '.work');
}
