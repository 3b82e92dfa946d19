// The placement process as tests start it when LLAMA_ORCH_TEST_HOOKS=1: the production wiring plus
// the provider-state hook (Pact provider states, BDD steps). Production starts gateway/src/main.ts,
// which has no way to load this file.
import { servePlacement } from '../../src/serve.js';
import { testHookRoutes } from './test-hooks.js';

await servePlacement(process.argv.slice(2), process.env, { httpPlugins: [testHookRoutes] });
