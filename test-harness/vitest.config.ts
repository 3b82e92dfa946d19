import { defineProject } from 'vitest/config';

// Cross-process suites against the real binaries. One file at a time: each file starts its own
// stack (Envoy, placement, sidecars, llama-server) and the CI machine has 2 cores.
export default defineProject({
  test: {
    name: 'test-harness',
    include: [
      'src/**/*.test.ts',
      'smoke/**/*.test.ts',
      'e2e/**/*.test.ts',
      'e2e-haiku/**/*.test.ts',
      'determinism-suite/**/*.test.ts',
      'observability/**/*.test.ts',
      'engine-sim/**/*.test.ts',
      'bdd/**/*.test.ts',
      'gpu/**/*.test.ts',
      'chaos/**/*.test.ts',
      'fuzz/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
