// Config schema and loader (ORCH-3030).
export {
  ConfigSchema,
  PoolSchema,
  TenantSchema,
  QueueSchema,
  PROMPT_FORMATS,
  DEFAULT_PROMPT_FORMAT,
} from './schema.js';
export { ENGINES } from '../engines.js';
export type { ConfigInput, PoolInput, TenantInput, FullPolicy, PromptFormat } from './schema.js';
export type { Config, PoolConfig, TenantConfig, QueueConfig, QueueClassConfig } from './types.js';
export { ConfigError, loadConfig, parseConfig, validateConfig, dottedPath } from './load.js';
export type { ConfigIssue } from './semantic.js';
export {
  PLACEMENT_PLUGIN_TYPES,
  PLACEMENT_PICKERS,
  DEFAULT_PLACEMENT_PROFILE,
  PlacementSchema,
} from './placement.js';
export type {
  PlacementPluginType,
  PlacementPluginConfig,
  PlacementProfileConfig,
} from './placement.js';
export { renderConfigSchema, configSchemaPath, CONFIG_SCHEMA_ID } from './emit.js';
