// The bootstrap, in order. Add a tool by writing one Step module and listing it here.
import { envoyStep } from './envoy.js';
import { llamaServerStep } from './llama-server.js';
import { modelStep } from './model.js';
import { prometheusStep } from './prometheus.js';
import type { Step } from './step.js';
import { wiremockStep } from './wiremock.js';

// Quick downloads first, so a registry problem shows up before the long llama-server build.
export const STEPS: readonly Step[] = [
  envoyStep,
  modelStep,
  wiremockStep,
  prometheusStep,
  llamaServerStep,
] as readonly Step[];

export { envoyStep, llamaServerStep, modelStep, wiremockStep };
export type { Installed, Step, StepContext } from './step.js';
