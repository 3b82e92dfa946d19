// Token-diff artifact for a divergence (ORCH-5007): everything needed to replay and inspect it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DiffSide {
  label: string;
  taskId: string;
  replicaId: string;
  /** The seed this side actually ran with. */
  seed: number;
  tokens: string[];
  text: string;
  /** The stream's terminal event (end or error), if any. */
  end: object | null;
}

interface DiffRecord {
  seed: number;
  prompt: string;
  /** Which comparison diverged, e.g. "replica A vs replica B". */
  what: string;
  firstDiff: number;
  a: DiffSide;
  b: DiffSide;
  context: Record<string, string | number>;
}

/** Writes `<dir>/<name>.json`; the suite names it by seed (`1001`, or `1002-reseed-of-1001`). */
export function writeDiffArtifact(dir: string, name: string, record: DiffRecord): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}
