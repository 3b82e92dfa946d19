import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'deploy',
    include: ['webhook/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
