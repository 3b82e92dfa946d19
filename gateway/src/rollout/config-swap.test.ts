// ORCH-3031: the config file after a successful reload: rewritten as a whole or not at all.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@llama-orch/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configCommit, swapPoolModel } from './config-swap.js';
import type { ReloadTarget } from './reload-catalog.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const A: ReloadTarget = { ref: 'model-a', path: '/models/a.gguf', digest: DIGEST_A };
const B: ReloadTarget = { ref: 'model-b', path: '/models/b.gguf', digest: DIGEST_B };

// An operator's file: comments and flow style the rewrite must keep.
const config = (models: string): string => `# Operator header: keep me.
version: 1
listen:
  host: 127.0.0.1 # loopback
  rest_port: 8081
pools:
  - id: default
    engine: llamacpp
    # which model this pool serves
    model_ref: model-a
    model_digest: ${DIGEST_A}
    model_path: /models/a.gguf
    devices: [cpu]
    cpu_carve_out: true
    ctx_max: 2048
    slots: 1
    replicas: 2
    sampler_profile_version: v1
    determinism: strict
queue:
  interactive: { capacity: 64, full_policy: reject }
  batch: { capacity: 256, full_policy: drop-lru }
${models}`;

const CATALOG_B = `models:
  - ref: model-b # the next model
    path: /models/b.gguf
    digest: ${DIGEST_B}
`;

describe('config swap after a reload (ORCH-3031)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-swap-'));
    file = join(dir, 'config.yaml');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ORCH-3031: rewrites model_ref, model_digest and model_path from the models[] entry, keeping comments', () => {
    writeFileSync(file, config(CATALOG_B));
    // The run knows only the ref: path and digest come from the catalog entry in the file.
    expect(swapPoolModel({ path: file }, 'default', A, { ref: 'model-b' })).toBeUndefined();
    const text = readFileSync(file, 'utf8');
    const pool = loadConfig(file).pools[0];
    expect(pool?.model_ref).toBe('model-b');
    expect(pool?.model_digest).toBe(DIGEST_B);
    expect(pool?.model_path).toBe('/models/b.gguf');
    expect(text).toContain('# Operator header: keep me.');
    expect(text).toContain('host: 127.0.0.1 # loopback');
    expect(text).toContain('# which model this pool serves');
    expect(text).toContain('ref: model-b # the next model');
    expect(text).toContain('interactive: { capacity: 64, full_policy: reject }');
  });

  it('ORCH-3031: the old model joins models[] so a reload back to it stays configured', () => {
    writeFileSync(file, config(CATALOG_B));
    expect(swapPoolModel({ path: file }, 'default', A, B)).toBeUndefined();
    const models = loadConfig(file).models ?? [];
    expect(models).toContainEqual({ ref: 'model-a', path: '/models/a.gguf', digest: DIGEST_A });
    // Back to A: the pool names A again and the catalog does not grow a duplicate.
    expect(swapPoolModel({ path: file }, 'default', B, A)).toBeUndefined();
    const back = loadConfig(file);
    expect(back.pools[0]?.model_ref).toBe('model-a');
    expect(back.pools[0]?.model_path).toBe('/models/a.gguf');
    expect((back.models ?? []).map((m) => m.ref).sort()).toEqual(['model-a', 'model-b']);
  });

  it('ORCH-3031: a file without models[] gets one holding the old model', () => {
    writeFileSync(file, config(''));
    expect(swapPoolModel({ path: file }, 'default', A, B)).toBeUndefined();
    const loaded = loadConfig(file);
    expect(loaded.pools[0]?.model_ref).toBe('model-b');
    expect(loaded.models).toEqual([{ ref: 'model-a', path: '/models/a.gguf', digest: DIGEST_A }]);
  });

  it('ORCH-3031: a result that does not validate leaves the file untouched', () => {
    writeFileSync(file, config(CATALOG_B));
    const before = readFileSync(file, 'utf8');
    const reason = swapPoolModel({ path: file }, 'default', A, { ref: 'model-b', digest: 'md5:x' });
    expect(reason).toMatch(/does not validate/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('ORCH-3031: a write error mid-file leaves the old file whole and no temp file behind', () => {
    writeFileSync(file, config(CATALOG_B));
    const before = readFileSync(file, 'utf8');
    const reason = swapPoolModel(
      {
        path: file,
        write: (fd, text) => {
          writeFileSync(fd, text.slice(0, 40)); // a partial write, then the disk fills up
          throw new Error('ENOSPC: no space left on device');
        },
      },
      'default',
      A,
      B,
    );
    expect(reason).toContain('ENOSPC');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('ORCH-3031: read-only mode never writes and says the config was not updated', () => {
    writeFileSync(file, config(CATALOG_B));
    const before = readFileSync(file, 'utf8');
    const commit = configCommit({ path: file, readOnly: true });
    expect(commit('default', A, B)).toMatch(/config not updated: .* read-only/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(configCommit({ path: file })('default', A, B)).toBeUndefined();
    expect(loadConfig(file).pools[0]?.model_ref).toBe('model-b');
  });

  it('ORCH-3031: an unknown pool is reported, the file kept', () => {
    writeFileSync(file, config(CATALOG_B));
    const before = readFileSync(file, 'utf8');
    expect(swapPoolModel({ path: file }, 'nope', A, B)).toMatch(/pool nope is not in the file/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
