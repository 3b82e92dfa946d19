// Research tool (not a test): pass rate of each framing recipe × model over many minute/nonce
// pairs, talking straight to a llama-server it starts itself. Writes .artifacts/haiku/pass-rate.json.
//   npx tsx test-harness/src/haiku/pass-rate.ts --bin <llama-server> \
//     --model smollm2=<gguf> [--model gemma3=<gguf>] [--recipes id,id] [--pairs 60]
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkHaiku } from './acceptance.js';
import { applyServerTemplate, complete, startDirectLlama } from './llama-direct.js';
import { minuteWords } from './minute-words.js';
import { makeNonce, seededIndex } from './nonce.js';
import { haikuMessages, renderChatMl, renderGemma } from './prompt.js';
import { RECIPES, findRecipe, type Recipe } from './recipes.js';

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function renderPrompt(baseUrl: string, recipe: Recipe, m: string, n: string) {
  const messages = haikuMessages(m, n, recipe.systemMessage);
  if (recipe.template === 'chatml') return renderChatMl(messages);
  if (recipe.template === 'gemma') return renderGemma(messages);
  return await applyServerTemplate(baseUrl, messages);
}

interface Attempt {
  minute: number;
  minuteWords: string;
  nonce: string;
  accepted: boolean;
  reasons: string[];
  latencyMs: number;
  tokens: number;
  output: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bin: { type: 'string' },
      model: { type: 'string', multiple: true },
      recipes: { type: 'string' },
      pairs: { type: 'string', default: '60' },
      'pair-seed': { type: 'string', default: '20261123' },
      out: { type: 'string', default: '.artifacts/haiku/pass-rate.json' },
      // One thread by default: on a shared 2-core box two spinning threads were ~10x slower.
      threads: { type: 'string', default: '1' },
    },
  });
  const bin = values.bin ?? process.env.LLAMA_SERVER_BIN;
  if (bin === undefined) throw new Error('--bin or LLAMA_SERVER_BIN is required');
  const models = (values.model ?? []).map((spec) => {
    const [label, path] = spec.split('=');
    if (label === undefined || path === undefined) throw new Error(`bad --model ${spec}`);
    return { label, path: resolve(path) };
  });
  if (models.length === 0) throw new Error('at least one --model label=path is required');
  const recipes = values.recipes?.split(',').map(findRecipe) ?? [...RECIPES];
  const pairCount = Math.min(Math.max(Number(values.pairs), 1), 600);
  const random = seededIndex(Number(values['pair-seed']));
  // Minutes cycle 0..59 so 60 pairs cover every minute exactly once.
  const pairs = Array.from({ length: pairCount }, (_, i) => {
    const words = minuteWords(i % 60);
    return { minute: i % 60, words, nonce: makeNonce(words, random) };
  });

  const results = [];
  for (const model of models) {
    const llama = await startDirectLlama({
      binary: bin,
      model: model.path,
      threads: Number(values.threads),
    });
    try {
      const props = (await (await fetch(`${llama.baseUrl}/props`)).json()) as {
        build_info?: string;
      };
      const digest = await sha256File(model.path);
      for (const recipe of recipes) {
        const attempts: Attempt[] = [];
        for (const pair of pairs) {
          const prompt = await renderPrompt(llama.baseUrl, recipe, pair.words, pair.nonce);
          const out = await complete(llama.baseUrl, prompt, recipe.sampling);
          const verdict = checkHaiku(out.content, { minuteWords: pair.words, nonce: pair.nonce });
          attempts.push({
            minute: pair.minute,
            minuteWords: pair.words,
            nonce: pair.nonce,
            accepted: verdict.accepted,
            reasons: verdict.reasons,
            latencyMs: out.latencyMs,
            tokens: out.tokensPredicted,
            output: out.content,
          });
        }
        const passes = attempts.filter((a) => a.accepted).length;
        const meanLatencyMs = Math.round(
          attempts.reduce((s, a) => s + a.latencyMs, 0) / attempts.length,
        );
        const row = {
          recipe: recipe.id,
          model: model.label,
          modelDigest: digest,
          engineVersion: props.build_info ?? 'unknown',
          passes,
          attempts: attempts.length,
          passRate: passes / attempts.length,
          meanLatencyMs,
          maxLatencyMs: Math.max(...attempts.map((a) => a.latencyMs)),
          recipeDetail: recipe,
          runs: attempts,
        };
        results.push(row);
        console.log(
          `${model.label}\t${recipe.id}\t${passes}/${attempts.length}\tmean ${meanLatencyMs} ms`,
        );
      }
    } finally {
      await llama.close();
    }
  }
  const outPath = resolve(values.out);
  await mkdir(dirname(outPath), { recursive: true });
  const report = {
    label: 'CPU carve-out (ORCH-1101): CI-only research run on CPU, not a GPU measurement',
    generatedAt: new Date().toISOString(),
    pairSeed: values['pair-seed'],
    results,
  };
  await writeFile(outPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${outPath}`);
}

await main();
