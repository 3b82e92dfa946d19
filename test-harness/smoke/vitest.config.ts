import { defineConfig } from 'vitest/config';

// Runs the real-binary smoke tests alone:
//   npx vitest run --config test-harness/smoke/vitest.config.ts
// (In the full gate they run in the `test-harness` project.)
export default defineConfig({
  test: {
    name: 'smoke',
    root: new URL('.', import.meta.url).pathname,
    include: ['**/*.test.ts'],
    // Real binaries on 2 shared cores: one file at a time keeps timings predictable.
    fileParallelism: false,
  },
});
