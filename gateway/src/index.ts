// Public surface of @llama-orch/gateway.
export { startGateway } from './gateway.js';
export type { GatewayHandle, GatewayOptions } from './gateway.js';
export { gatewayOptionsFrom, schedulerConfigFrom } from './config.js';
export { DESTINATION_HEADER, LEASE_HEADER } from './dispatch/director.js';
