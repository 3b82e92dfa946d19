import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from './load.js';
import { configSchemaPath, renderConfigSchema } from './emit.js';

const dir = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));
const goodDir = dir('../../examples/config/');
const badDir = dir('../../examples/negative/config/');
const yamlFiles = (d: string): string[] => readdirSync(d).filter((f) => f.endsWith('.yaml'));

describe('ORCH-3030: example configs validate', () => {
  it('ORCH-3030: there is a local CPU and an NVIDIA example', () => {
    expect(yamlFiles(goodDir)).toEqual(
      expect.arrayContaining(['local-cpu.yaml', 'nvidia-2gpu.yaml']),
    );
  });
  for (const f of yamlFiles(goodDir)) {
    it(`ORCH-3030: ${f} loads through loadConfig`, () => {
      expect(() => loadConfig(goodDir + f)).not.toThrow();
    });
    it(`ORCH-3030: ${f} validates against the emitted config.schema.json`, () => {
      const schema = JSON.parse(readFileSync(configSchemaPath(), 'utf8')) as object;
      const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
      expect(
        validate(parse(readFileSync(goodDir + f, 'utf8'))),
        JSON.stringify(validate.errors),
      ).toBe(true);
    });
  }
});

describe('ORCH-3030: broken configs fail and name the bad fields', () => {
  const files = yamlFiles(badDir);
  it('ORCH-3030: negative cases exist', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });
  for (const f of files) {
    it(`ORCH-3030: ${f} is rejected`, () => {
      const text = readFileSync(badDir + f, 'utf8');
      const expected = /^# expect: (.+)$/m.exec(text)?.[1]?.split(' ') ?? [];
      expect(expected.length).toBeGreaterThan(0);
      let err: unknown;
      try {
        loadConfig(badDir + f);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const paths = (err as ConfigError).issues.map((i) => i.path);
      for (const p of expected) expect(paths).toContain(p);
      expect((err as ConfigError).message).toContain(expected[0]);
    });
  }
});

describe('ORCH-5005: config.schema.json is up to date with the TypeBox source', () => {
  it('ORCH-5005: emitted text equals the committed file', async () => {
    expect(readFileSync(configSchemaPath(), 'utf8')).toBe(await renderConfigSchema());
  });
});
