// The supervised sim's "model": a small file whose bytes seed the simulator, so another file
// means other tokens, another canary hash and another digest (what a reload must show). Lines
// `#sim <directive>` in the file (or ENGINE_SIM_FAULTS, comma-separated) select faults, so the
// self-test and crash paths can be driven through the real sidecar launch path
// (ENGINE_SIM_FAULTS_FILE: directives read from a file at every engine start).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { SimFaults } from './config.js';
import { hash32 } from './model.js';

/**
 * `no-decode` completions fail · `ignore-cancel` the slot stays busy after an abort ·
 * `no-telemetry` /metrics 404 · `garbage-telemetry` /metrics not Prometheus ·
 * `stall-telemetry` /metrics never answers (a probe that times out on a busy host) ·
 * `crash-on-request` the first completion kills the engine · `crash-after-ms=N` the engine exits
 * N ms after it starts listening · `startup-ms=N` /health 503 "Loading model" for N ms ·
 * `exit-at-start` exits before listening (a model the engine cannot load).
 */
export type SimDirective =
  | 'no-decode'
  | 'ignore-cancel'
  | 'no-telemetry'
  | 'garbage-telemetry'
  | 'stall-telemetry'
  | 'crash-on-request'
  | `crash-after-ms=${number}`
  | `startup-ms=${number}`
  | 'exit-at-start';

export interface SimModel {
  name: string;
  /** Seeds the simulator: derived from the file's bytes. */
  seed: number;
  faults: SimFaults;
  startupMs?: number;
  crashAfterMs?: number;
  exitAtStart: boolean;
}

/** File text for a sim model named `name` with the given directives. */
export function simModelText(name: string, directives: readonly SimDirective[] = []): string {
  return [`engine-sim model ${name}`, ...directives.map((d) => `#sim ${d}`), ''].join('\n');
}

export function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Directives from the environment: ENGINE_SIM_FAULTS (comma-separated) plus the contents of the
 * file ENGINE_SIM_FAULTS_FILE names (read at every engine start, so a test can turn a healthy
 * engine into one that fails on its next restart without changing the model's digest).
 */
function envDirectives(env: NodeJS.ProcessEnv = process.env): string {
  let fromFile = '';
  if (env.ENGINE_SIM_FAULTS_FILE) {
    try {
      fromFile = readFileSync(env.ENGINE_SIM_FAULTS_FILE, 'utf8').replace(/\s+/g, ',');
    } catch {
      // no file yet: no faults
    }
  }
  return [env.ENGINE_SIM_FAULTS ?? '', fromFile].join(',');
}

export function parseSimModel(
  path: string,
  content: Buffer,
  extraDirectives = envDirectives(),
): SimModel {
  const text = content.toString('utf8');
  const directives = [
    ...[...text.matchAll(/^#sim\s+(\S+)\s*$/gm)].map((m) => m[1] ?? ''),
    ...extraDirectives.split(',').map((d) => d.trim()),
  ].filter(Boolean);
  const model: SimModel = {
    name: basename(path).replace(/\.[^.]*$/, '') || 'sim-model',
    seed: hash32('model-file', sha256Hex(content)),
    faults: {},
    exitAtStart: false,
  };
  for (const d of directives) {
    const [key, value] = d.split('=');
    const n = Number(value);
    if (key === 'no-decode') model.faults.noDecode = true;
    else if (key === 'ignore-cancel') {
      // Decoding runs on after the abort and the slot then stays busy for a minute: longer than
      // any cancel self-test deadline, whatever the natural length of the output.
      model.faults.ignoreCancel = true;
      model.faults.holdSlotAfterAbortMs = 60_000;
    } else if (key === 'no-telemetry') model.faults.telemetry = 'missing';
    else if (key === 'garbage-telemetry') model.faults.telemetry = 'garbage';
    else if (key === 'stall-telemetry') model.faults.telemetry = 'stalled';
    else if (key === 'crash-on-request') model.faults.crashOnRequest = true;
    else if (key === 'crash-after-ms' && Number.isFinite(n)) model.crashAfterMs = n;
    else if (key === 'startup-ms' && Number.isFinite(n)) model.startupMs = n;
    else if (key === 'exit-at-start') model.exitAtStart = true;
    else throw new Error(`unknown engine-sim directive ${d}`);
  }
  return model;
}
