// Structured logs (ORCH-3027): JSON lines on stderr via pino, with the replica's identity on
// every line; lease outcomes carry task/session/tenant ids, versions and timings. Tests may pass
// a plain `(msg) => void` instead.
import pino from 'pino';

export interface SidecarLogger {
  msg(text: string): void;
  event(fields: Record<string, unknown>, text: string): void;
}

export function createLogger(
  base: Record<string, string>,
  plain: ((msg: string) => void) | undefined,
): SidecarLogger {
  if (plain) {
    return { msg: plain, event: (fields, text) => plain(`${text} ${JSON.stringify(fields)}`) };
  }
  const p = pino({ base, level: process.env.SIDECAR_LOG_LEVEL ?? 'info' }, pino.destination(2));
  return { msg: (text) => p.info(text), event: (fields, text) => p.info(fields, text) };
}
