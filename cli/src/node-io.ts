// The real process: stdout/stderr, env, SIGINT, files, clock.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { CliIo } from './io.js';

export function nodeIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    home: homedir(),
    now: () => performance.now(),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
    readFile: (path) => readFile(path, 'utf8'),
    uuid: () => randomUUID(),
    spinnerIntervalMs: 80,
  };
}
