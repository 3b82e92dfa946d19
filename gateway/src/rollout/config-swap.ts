// ORCH-3031: after a successful reload the configuration file names the new model, so a placement
// restart finds the pool as its replicas serve it. The file is swapped as a whole or not at all:
// edit the YAML document (operator comments and layout kept), validate the result as placement
// would load it, write a temp file beside it, fsync, rename over it. Any failure keeps the old file
// and is returned as a message for pool health; the reload itself stays succeeded.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseConfig } from '@llama-orch/contracts';
import type { Logger } from 'pino';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { ReloadTarget } from './reload-catalog.js';

/** Called once a reload succeeded; returns why the file was not updated (undefined: it was). */
export type ConfigCommit = (
  poolId: string,
  from: ReloadTarget,
  to: ReloadTarget,
) => string | undefined;

interface ConfigSwapOptions {
  /** The file placement loaded its configuration from. */
  readonly path: string;
  /** Read-only mount (`--config-readonly`): never write; health says the file was not updated. */
  readonly readOnly?: boolean;
  readonly log?: Logger;
  /** Writes the temp file's bytes (tests inject a failing write). */
  readonly write?: (fd: number, text: string) => void;
}

/** The ConfigCommit for a config file: logs and returns the reason when the file was kept. */
export function configCommit(o: ConfigSwapOptions): ConfigCommit {
  return (poolId, from, to) => {
    const kept = o.readOnly
      ? `config not updated: ${o.path} is read-only (--config-readonly); it still names ${from.ref}`
      : swapPoolModel(o, poolId, from, to);
    if (kept) o.log?.warn({ pool_id: poolId, config: o.path, to: to.ref, reason: kept }, kept);
    else o.log?.info({ pool_id: poolId, config: o.path, to: to.ref }, 'config updated');
    return kept;
  };
}

/** Rewrites the pool's model in the file; returns why it did not (file untouched), else undefined. */
export function swapPoolModel(
  o: Pick<ConfigSwapOptions, 'path' | 'write'>,
  poolId: string,
  from: ReloadTarget,
  to: ReloadTarget,
): string | undefined {
  let file: string;
  let text: string;
  try {
    file = realpathSync(o.path); // a symlinked mount: replace the target, keep the link
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return `config not updated: ${message(err)}`;
  }
  const next = withPoolModel(text, poolId, from, to);
  if (next.error !== undefined) return `config not updated: ${next.error}`;
  try {
    parseConfig(next.text, o.path);
  } catch (err) {
    return `config not updated: the rewritten config does not validate: ${message(err)}`;
  }
  try {
    writeAtomically(file, next.text, o.write);
  } catch (err) {
    return `config not updated: ${message(err)}`;
  }
  return undefined;
}

/**
 * The document with the pool on `to` (path and digest from its `models[]` entry when it has one)
 * and the old model kept in `models[]`, so a reload back to it stays a configured target.
 */
function withPoolModel(
  text: string,
  poolId: string,
  from: ReloadTarget,
  to: ReloadTarget,
): { text: string; error?: undefined } | { error: string } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { error: `cannot parse: ${doc.errors[0]?.message}` };
  const pools = doc.get('pools');
  const index = isSeq(pools)
    ? pools.items.findIndex((p) => isMap(p) && p.get('id') === poolId)
    : -1;
  if (index < 0) return { error: `pool ${poolId} is not in the file` };
  const at = (key: string): unknown => doc.getIn(['pools', index, key]);
  const old: ReloadTarget = {
    ref: typeof at('model_ref') === 'string' ? (at('model_ref') as string) : from.ref,
    path: (at('model_path') as string | undefined) ?? from.path,
    digest: (at('model_digest') as string | undefined) ?? from.digest,
  };
  const models = doc.get('models');
  const entries = (isSeq(models) ? models.items : []).map((m) =>
    isMap(m) ? { ref: m.get('ref'), path: m.get('path'), digest: m.get('digest') } : {},
  );
  const entry = entries.find((m) => m.ref === to.ref);
  const target = {
    ref: to.ref,
    path: str(entry?.path) ?? to.path,
    digest: to.digest ?? str(entry?.digest),
  };
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined) doc.setIn(['pools', index, key], value);
    else if (doc.hasIn(['pools', index, key])) doc.deleteIn(['pools', index, key]);
  };
  set('model_ref', target.ref);
  set('model_digest', target.digest);
  set('model_path', target.path);
  if (old.ref !== target.ref && !entries.some((m) => m.ref === old.ref)) {
    const kept = doc.createNode({
      ref: old.ref,
      ...(old.path !== undefined ? { path: old.path } : {}),
      ...(old.digest !== undefined ? { digest: old.digest } : {}),
    });
    if (isSeq(models)) models.items.push(kept);
    else doc.set('models', doc.createNode([kept]));
  }
  return { text: doc.toString() };
}

/** Temp file in the same directory (same filesystem), fsync, rename: readers see old or new. */
function writeAtomically(
  file: string,
  text: string,
  write: (fd: number, text: string) => void = (fd, t) => void writeSync(fd, t),
): void {
  const mode = statSync(file).mode & 0o777;
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    try {
      write(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
  syncDir(dirname(file));
}

/** The rename survives a crash only once the directory entry is on disk (best effort). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some filesystems refuse fsync on a directory; the rename is still atomic
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
