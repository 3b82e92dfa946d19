export { freePort, freePorts } from './free-port.js';
export { HealthTimeoutError, waitForHttp } from './health.js';
export type { WaitHttpOptions } from './health.js';
export { LineSplitter, prefixedWriter } from './line-prefix.js';
export type { LineSink } from './line-prefix.js';
export { Supervisor } from './supervisor.js';
export type { ChildSpec, ExitInfo, SupervisedChild, SupervisorOptions } from './supervisor.js';
export { RUN_LOGS_ENV, RUN_LOG_TRUNCATED, recordTestKeys, runLogWriter } from './run-logs.js';
