import { defineConfig } from 'vitest/config';

// One vitest run covers every package; each package keeps its tests beside its code.
export default defineConfig({
  test: {
    projects: [
      'proto',
      'contracts',
      'core',
      'gateway',
      'sidecar',
      'envoy',
      'test-harness',
      'cli',
      'tools',
      'deploy',
    ],
  },
});
