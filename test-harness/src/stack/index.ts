export { startStack } from './start-stack.js';
export type {
  Stack,
  StackJoinContext,
  StackModel,
  StackOptions,
  StackTweakContext,
} from './start-stack.js';
export { createControlPlanePki } from './control-tls.js';
export type { ControlPlanePki } from './control-tls.js';
export { buildStackConfig, renderStackConfig, LOCAL_CONFIG_PATH } from './stack-config.js';
export type { StackPorts } from './stack-config.js';
export { PLACEMENT_ENV, PLACEMENT_NODE_FLAGS, REPO_ROOT } from './services.js';
export type { StackTracing } from './tracing-env.js';
