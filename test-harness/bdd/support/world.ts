// One real stack for the whole run (placement + one supervised sidecar with llama-server + Envoy,
// plus a "standby" pool no replica joins), the test hook enabled on loopback, and a per-scenario
// World holding what the steps observed.
import {
  AfterAll,
  After,
  BeforeAll,
  World,
  setDefaultTimeout,
  setWorldConstructor,
} from '@cucumber/cucumber';
import { loadToolchain } from '@llama-orch/tools';
import { startStack } from '../../src/stack/index.js';
import type { Stack } from '../../src/stack/index.js';
import { hook, http } from './api.js';
import type { HttpResult, Transcript } from './api.js';
import type { OrchctlResult } from './orchctl.js';
import { addReloadTarget, addStandbyPool, addTenants } from './stack-tweaks.js';

setDefaultTimeout(90_000);

let stack: Stack | undefined;

BeforeAll({ timeout: 400_000 }, async () => {
  process.env.LLAMA_ORCH_TEST_HOOKS = '1';
  // Generous: other suites may load the 2 cores while the engine loads and self-tests.
  const { model } = await loadToolchain();
  stack = await startStack({
    replicas: 1,
    tweak: (config, ctx) => {
      addStandbyPool(config);
      addTenants(config, ctx);
      addReloadTarget(config, model.path);
    },
    readyTimeoutMs: 300_000,
  });
});

AfterAll({ timeout: 60_000 }, async () => {
  await stack?.close();
});

export class OrchWorld extends World {
  get stack(): Stack {
    if (!stack) throw new Error('stack not started');
    return stack;
  }
  response: HttpResult | undefined;
  taskId = '';
  sessionId = '';
  transcripts: Transcript[] = [];
  cli: OrchctlResult | undefined;
  metricsBefore = '';
  /** Task bodies by name, for steps that refer back to "task A". */
  named = new Map<string, Record<string, unknown>>();
  /** Every task id submitted through the edge; canceled after the scenario (idempotent). */
  submitted = new Set<string>();
  /** Fairness: tasks per tenant, their streams, and streams in the order they opened. */
  fairTasks: { tenant: string; id: string }[] = [];
  streams: Promise<void>[] = [];
  opened: { tenant: string; id: string; text: string }[] = [];
}

setWorldConstructor(OrchWorld);

// Every scenario leaves the queue as it found it: tasks the hook admitted are canceled.
After(async function (this: OrchWorld) {
  if (!stack) return;
  await hook(stack.restUrl, { op: 'reset' });
  for (const id of this.submitted) {
    await http('POST', `${stack.url}/v1/tasks/${id}/cancel`);
  }
});
