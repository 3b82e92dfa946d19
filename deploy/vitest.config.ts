import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'deploy',
    include: ['webhook/**/*.test.ts', 'test/**/*.test.ts'],
    // The API server test (etcd + kube-apiserver) and the injected-sidecar test (a whole stack and
    // a second llama-server) run one after the other, not beside each other, on two cores.
    poolOptions: { forks: { singleFork: true } },
  },
});
