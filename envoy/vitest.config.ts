import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'envoy',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
