// ORCH-3047: neither the docs nor GET /v1/capabilities promise identical streams across different
// engine versions or model digests; byte-identical replay is scoped to one replica set (ORCH-3045).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness } from '../../test/support/harness.js';
import type { Harness } from '../../test/support/harness.js';
import { buildHttpApp } from './app.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SKIP_DIRS = new Set(['node_modules', '.build', '.git', '.artifacts', 'requirements']);

/** Markdown, OpenAPI/config YAML and proto files a user or operator reads. */
function docFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (SKIP_DIRS.has(entry.name) || (entry.name.startsWith('.') && entry.name !== '.specs'))
        continue;
      docFiles(join(dir, entry.name), out);
    } else if (/\.(md|ya?ml|proto)$/.test(entry.name) && entry.name !== 'COMPLIANCE.md') {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

const PROMISE =
  /byte[- ]?(identical|exact)|identical (token )?(streams?|outputs?)|same (token )?stream/i;
const ACROSS_VERSIONS =
  /engine_version|model_digest|engine versions?|model digests?|across (engines?|models?|builds?|versions?)|upgrade|model update|engine update/i;
const NEGATED = /\b(not|never|no)\b|n't\b/i;

/** Sentences that promise identical streams across engine or model versions. */
function crossVersionPromises(text: string): string[] {
  const sentences = text
    .replace(/\s*\n\s*/g, ' ')
    .split(/(?<=[.!?;])\s+/)
    .map((s) => s.trim());
  return sentences.filter((s) => PROMISE.test(s) && ACROSS_VERSIONS.test(s) && !NEGATED.test(s));
}

describe('ORCH-3047: no determinism promise across engine or model updates', () => {
  it('ORCH-3047: the checker flags a cross-version promise and accepts the scoped one', () => {
    expect(
      crossVersionPromises(
        'Streams are byte-identical across engine versions. Upgrades keep the same stream.',
      ),
    ).toHaveLength(2);
    expect(
      crossVersionPromises(
        'Byte-identical streams within a replica set. Streams are not identical across engine_version values.',
      ),
    ).toEqual([]);
  });

  it('ORCH-3047: no doc, OpenAPI document or proto promises identical streams across versions', () => {
    const files = docFiles(ROOT);
    expect(files.some((f) => f.endsWith('data.yaml'))).toBe(true);
    expect(files.some((f) => f.endsWith('README.md'))).toBe(true);
    const offending = files.flatMap((f) =>
      crossVersionPromises(readFileSync(f, 'utf8')).map((s) => `${f.slice(ROOT.length)}: ${s}`),
    );
    expect(offending).toEqual([]);
  });

  describe('GET /v1/capabilities', () => {
    let h: Harness;
    let app: FastifyInstance;
    beforeEach(() => {
      h = createHarness();
      app = buildHttpApp({ tasks: h.tasks, pools: h.pools, metrics: h.metrics });
    });
    afterEach(async () => {
      await app.close();
      h.close();
    });

    it('ORCH-3047: two engine versions are listed side by side with no cross-version replay claim', async () => {
      h.connect({ replicaId: 'r1', engineVersion: 'b100' });
      h.connect({ replicaId: 'r2', engineVersion: 'b200', features: ['determinism_strict'] });
      const res = await app.inject({ method: 'GET', url: '/v1/capabilities' });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ engines: { engine_versions: string[] }[] }>();
      expect(body.engines[0]?.engine_versions).toEqual(['b100', 'b200']);
      expect(res.body).not.toMatch(/identical|reproducib|portable|across|cross[-_]?version/i);
    });
  });
});
