// Candidate framings for the haiku gate, measured by pass-rate.ts. The user turn is always the
// seed template; a recipe only chooses the chat template, an optional system message and the
// sampler. Every sampler field is explicit (engines.md: server defaults differ per launch).

type ChatTemplate = 'chatml' | 'gemma' | 'server';

export interface Sampling {
  temperature: number;
  top_k: number;
  top_p: number;
  min_p: number;
  repeat_penalty: number;
  seed: number;
  n_predict: number;
  stop: string[];
}

export interface Recipe {
  id: string;
  template: ChatTemplate;
  systemMessage?: string;
  sampling: Sampling;
}

/** Greedy: top_k 1 makes the sampler a pure argmax, so the seed does not matter. */
const GREEDY: Sampling = {
  temperature: 0,
  top_k: 1,
  top_p: 1,
  min_p: 0,
  repeat_penalty: 1,
  seed: 42,
  n_predict: 64,
  stop: [],
};

const SAMPLED_SEED_42: Sampling = {
  temperature: 0.7,
  top_k: 40,
  top_p: 0.95,
  min_p: 0.05,
  repeat_penalty: 1,
  seed: 42,
  n_predict: 64,
  stop: [],
};

const SYSTEM_POET =
  'You are a poet. You follow instructions exactly. When asked to include a phrase or a code, ' +
  'you copy it into the poem character for character.';

const SYSTEM_STRICT =
  'You write short poems that follow every instruction exactly. Write three lines separated ' +
  'by line breaks. Copy the requested phrase and the nonce into the poem exactly as given, ' +
  'each one time, in the same lowercase spelling. Output nothing but the three lines.';

export const RECIPES: readonly Recipe[] = [
  { id: 'server-template/no-system/greedy', template: 'server', sampling: GREEDY },
  { id: 'chatml/no-system/greedy', template: 'chatml', sampling: GREEDY },
  {
    id: 'chatml/system-poet/greedy',
    template: 'chatml',
    systemMessage: SYSTEM_POET,
    sampling: GREEDY,
  },
  {
    id: 'chatml/system-strict/greedy',
    template: 'chatml',
    systemMessage: SYSTEM_STRICT,
    sampling: GREEDY,
  },
  {
    id: 'chatml/system-strict/sampled-seed42',
    template: 'chatml',
    systemMessage: SYSTEM_STRICT,
    sampling: SAMPLED_SEED_42,
  },
  {
    id: 'gemma/system-strict/greedy',
    template: 'gemma',
    systemMessage: SYSTEM_STRICT,
    sampling: GREEDY,
  },
];

export function findRecipe(id: string): Recipe {
  const recipe = RECIPES.find((r) => r.id === id);
  if (recipe === undefined) throw new Error(`unknown recipe ${id}`);
  return recipe;
}
