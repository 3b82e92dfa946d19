// What each llama-server behind a sidecar really runs with (ORCH-4016): its command line (from
// the process table, found by its unique --port) and its /props and /metrics. Read-only probes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The argv of the llama-server listening on `port`, split on spaces (paths have none here). */
export async function engineArgs(binary: string, port: number): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'args=']);
  const line = stdout
    .split('\n')
    .find((l) => l.startsWith(binary) && new RegExp(`--port ${port}( |$)`).test(l));
  if (!line) throw new Error(`no ${binary} process with --port ${port}`);
  return line.trim().split(/\s+/);
}

/** The value after `flag` in argv, or undefined; `true` for a flag with no value. */
export function argValue(args: readonly string[], flag: string): string | true | undefined {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const next = args[i + 1];
  return next === undefined || next.startsWith('-') ? true : next;
}

export async function engineProps(port: number): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}/props`, {
    signal: AbortSignal.timeout(10_000),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** `llamacpp:tokens_predicted_total` of one engine: tokens it decoded since it started. */
export async function tokensPredicted(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const m = /^llamacpp:tokens_predicted_total\s+([0-9.e+]+)/m.exec(text);
  if (!m?.[1]) throw new Error(`engine :${port} /metrics has no llamacpp:tokens_predicted_total`);
  return Number(m[1]);
}
