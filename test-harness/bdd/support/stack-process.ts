// The real stack (placement + supervised sidecar + Envoy) in its own process, for suites that
// cannot import test-harness (e.g. gateway/test/pact-provider.test.ts). Prints one line
//   STACK {"url":…,"restUrl":…,"adminUrl":…,"poolId":…}
// on stdout when ready; stops everything on SIGTERM/SIGINT or when stdin closes (parent died).
// The provider-state hook is enabled for placement (LLAMA_ORCH_TEST_HOOKS=1, loopback only).
//   node --import tsx test-harness/bdd/support/stack-process.ts [--replicas N] [--standby]
import { parseArgs } from 'node:util';
import { startStack } from '../../src/stack/index.js';
import { addStandbyPool } from './stack-tweaks.js';

const { values } = parseArgs({
  options: { replicas: { type: 'string' }, standby: { type: 'boolean' } },
});
process.env.LLAMA_ORCH_TEST_HOOKS = '1';
const stack = await startStack({
  replicas: Number(values.replicas ?? 1),
  tweak: values.standby ? addStandbyPool : undefined,
  readyTimeoutMs: 300_000,
  log: (m) => process.stderr.write(`[stack] ${m}\n`),
});
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void stack.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
const info = {
  url: stack.url,
  restUrl: stack.restUrl,
  adminUrl: stack.adminUrl,
  poolId: stack.poolId,
};
process.stdout.write(`STACK ${JSON.stringify(info)}\n`);
