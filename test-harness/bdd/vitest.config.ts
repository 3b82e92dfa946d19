import { defineConfig } from 'vitest/config';

// Runs the BDD suite alone: npx vitest run --config test-harness/bdd/vitest.config.ts
// (In the full gate it runs in the `test-harness` project once that project includes bdd/.)
export default defineConfig({
  test: {
    name: 'bdd',
    root: new URL('.', import.meta.url).pathname,
    include: ['**/*.test.ts'],
    fileParallelism: false,
  },
});
