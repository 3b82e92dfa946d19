// Public surface of @llama-orch/cli: the typed client and the CLI runner (for tests and tools).
export { OrchClient } from './client.js';
export type { ClientOptions } from './client.js';
export { OrchApiError, ProtocolError, UnreachableError } from './api-error.js';
export { runCli, USAGE } from './cli.js';
export type { CliIo, OutStream } from './io.js';
export { EXIT, exitForStatus } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
export { loadConfig, ConfigError, DEFAULT_URL } from './config.js';
export type { OrchctlConfig } from './config.js';
