import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Builds an ID from parts so that fixture IDs never appear literally in this repository's
 * sources; otherwise the real spec-extract run would report them as unknown citations.
 */
export function fakeId(digits: string): string {
  return ['ORCH', digits].join('-');
}

export interface FixtureTree {
  readonly root: string;
  write(rel: string, content: string): void;
  remove(): void;
}

/** A throwaway directory under the OS temp dir; tests call remove() in afterEach. */
export function makeTree(files: Readonly<Record<string, string>> = {}): FixtureTree {
  const root = mkdtempSync(join(tmpdir(), 'llama-orch-tools-'));
  const write = (rel: string, content: string): void => {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  };
  for (const [rel, content] of Object.entries(files)) write(rel, content);
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}
