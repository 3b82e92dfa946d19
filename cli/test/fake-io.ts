// An in-memory terminal for running orchctl in-process: captured output, a fixed clock that
// advances 5 ms per read, deterministic ids, and a Ctrl-C the test can press.
import { readFile } from 'node:fs/promises';
import type { CliIo } from '../src/io.js';

interface FakeIo extends CliIo {
  out(): string;
  err(): string;
  /** Press Ctrl-C: runs every current SIGINT handler. */
  interrupt(): void;
}

class Capture {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface FakeIoOptions {
  tty?: boolean;
  env?: Record<string, string | undefined>;
  home?: string;
  files?: Record<string, string>;
  uuids?: string[];
}

export function fakeIo(o: FakeIoOptions = {}): FakeIo {
  const stdout = new Capture(o.tty ?? false);
  const stderr = new Capture(o.tty ?? false);
  const handlers = new Set<() => void>();
  const uuids = [...(o.uuids ?? [])];
  let t = 1000;
  let n = 0;
  return {
    stdout,
    stderr,
    env: o.env ?? {},
    home: o.home ?? '/nonexistent-home',
    now: () => (t += 5),
    onInterrupt: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    readFile: async (path) => {
      const given = o.files?.[path];
      if (given !== undefined) return given;
      return readFile(path, 'utf8');
    },
    uuid: () => uuids.shift() ?? `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    spinnerIntervalMs: 0,
    out: () => stdout.text,
    err: () => stderr.text,
    interrupt: () => {
      for (const h of [...handlers]) h();
    },
  };
}
