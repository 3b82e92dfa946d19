// Flat ESLint config: type-aware rules stay off so lint runs in seconds on 2 cores.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // dist/: the runtime bundles tools/build-runtime.mjs writes (gitignored build output).
  { ignores: ['**/node_modules/**', '.build/**', '**/dist/**', '**/generated/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // core/ is a pure library (see CONTRIBUTING.md, "Purity of core/"): no I/O, no timers, no
    // clock, no randomness, no process state. Callers inject time (`now`) and seeds instead.
    files: ['core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Only relative imports and the contracts' pure catalogues of errors and engines (data, no I/O).
              regex: '^(?!\\.{1,2}/|@llama-orch/contracts/(errors|engines)$)',
              message:
                'core/src is pure: import only core modules and @llama-orch/contracts/errors or /engines (no node:, no packages with I/O).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask'].map((name) => ({
          name,
          message: 'core/src is pure: no timers; the caller injects the clock and calls tick().',
        })),
        ...['clearTimeout', 'clearInterval', 'clearImmediate'].map((name) => ({
          name,
          message: 'core/src is pure: no timers; the caller injects the clock and calls tick().',
        })),
        { name: 'Date', message: 'core/src is pure: no clock; use the injected clock (now()).' },
        {
          name: 'performance',
          message: 'core/src is pure: no clock; use the injected clock (now()).',
        },
        { name: 'process', message: 'core/src is pure: no process state; take config as input.' },
        { name: 'console', message: 'core/src is pure: no logging; return what happened.' },
        { name: 'fetch', message: 'core/src is pure: no I/O.' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'core/src is pure: no randomness; take a seed or a PRNG from the caller.',
        },
      ],
    },
  },
  {
    // Tests beside the sources may use the test runner and the property-testing library.
    files: ['core/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\.{1,2}/|@llama-orch/contracts/errors$|vitest$|fast-check$)',
              message:
                'core/src is pure: tests beside it import only core modules, vitest and fast-check.',
            },
          ],
        },
      ],
    },
  },
);
