// ORCH-3023: KV state never moves between replicas. The sidecar never saves or restores engine
// slots (llama-server's slot save/restore is the only way KV could leave a replica), and wherever
// a contract reports `kv_migrated` it can only be false.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { llamacppLauncher } from './adapters/llamacpp/launch.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SKIP = new Set(['node_modules', '.build', '.git', '.artifacts', 'generated']);

function files(dir: string, pattern: RegExp, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP.has(e.name) && !e.name.startsWith('.')) files(join(dir, e.name), pattern, out);
    } else if (pattern.test(e.name) && !e.name.endsWith('.test.ts')) {
      out.push(join(dir, e.name));
    }
  }
  return out;
}

/** `kv_migrated` / `kvMigrated` occurrences that do not pin the value to false. */
function unpinned(text: string): string[] {
  const lines = text.split('\n');
  return lines.flatMap((line, n) => {
    if (!/kv_migrated|kvMigrated/.test(line)) return [];
    // Code: `kv_migrated: false` / `kvMigrated = false`; schema: `const: false` or `enum: [false]`
    // on the following lines; proto/docs prose is not a report.
    const window = [line, ...lines.slice(n + 1, n + 4)].join(' ');
    const pinned =
      /kv_?[mM]igrated['"]?\s*[:=]\s*false\b/.test(line) ||
      /const:\s*false|enum:\s*\[\s*false\s*\]/.test(window) ||
      /^\s*(\/\/|#|\*|-|\|)/.test(line);
    return pinned ? [] : [`${n + 1}: ${line.trim()}`];
  });
}

describe('ORCH-3023: no KV migration', () => {
  it('ORCH-3023: the llama-server launch never enables slot save/restore, even when the build offers it', () => {
    const args = llamacppLauncher.launchArgs({
      binary: 'llama-server',
      modelPath: '/m.gguf',
      host: '127.0.0.1',
      port: 8201,
      ctx: 2048,
      threads: 2,
      batch: 2048,
      ubatch: 512,
      helpText: '--slot-save-path PATH   path to save slot kv cache (default: disabled)',
    });
    expect(args.join(' ')).not.toMatch(/slot-save-path/);
  });

  it('ORCH-3023: no sidecar code saves, restores or copies an engine slot', () => {
    const sources = files(join(ROOT, 'sidecar', 'src'), /\.ts$/);
    expect(sources.length).toBeGreaterThan(10);
    const hits = sources.filter((f) =>
      /action=(save|restore)|slot-save-path|\/slots\/\$\{[^}]+\}\?action/.test(
        readFileSync(f, 'utf8'),
      ),
    );
    expect(hits).toEqual([]);
  });

  it('ORCH-3023: every kv_migrated in code, OpenAPI or proto is pinned to false', () => {
    const scanned = [
      ...files(join(ROOT, 'contracts', 'openapi'), /\.ya?ml$/),
      ...files(join(ROOT, 'proto'), /\.proto$/),
      ...['core', 'gateway', 'sidecar', 'contracts'].flatMap((p) =>
        files(join(ROOT, p, 'src'), /\.ts$/),
      ),
    ];
    expect(scanned.some((f) => f.endsWith('data.yaml'))).toBe(true);
    const offending = scanned.flatMap((f) =>
      unpinned(readFileSync(f, 'utf8')).map((l) => `${f.slice(ROOT.length)}:${l}`),
    );
    expect(offending).toEqual([]);
    // The checker itself: a report that is not pinned to false is caught.
    expect(unpinned('const event = { kv_migrated: migrated };')).toHaveLength(1);
    expect(unpinned('kv_migrated:\n  type: boolean\n  const: false')).toEqual([]);
    expect(unpinned("log.info({ kv_migrated: false }, 'failover');")).toEqual([]);
  });
});
