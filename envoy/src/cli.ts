// Print the Envoy bootstrap: `tsx envoy/src/cli.ts --listen-port 8080 --rest-port 8081 > envoy.yaml`.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderEnvoyBootstrap } from './bootstrap.js';

const { values } = parseArgs({
  options: {
    bind: { type: 'string' },
    'gateway-host': { type: 'string' },
    'listen-port': { type: 'string' },
    'admin-port': { type: 'string' },
    'rest-port': { type: 'string' },
    'ext-proc-port': { type: 'string' },
    'hold-ms': { type: 'string' },
    'access-log': { type: 'boolean' },
    'otlp-endpoint': { type: 'string' },
    out: { type: 'string' },
  },
});
const num = (v: string | undefined): number | undefined =>
  v === undefined ? undefined : Number(v);

const yaml = renderEnvoyBootstrap({
  bindAddress: values.bind,
  gatewayHost: values['gateway-host'],
  listenPort: num(values['listen-port']),
  adminPort: num(values['admin-port']),
  restPort: num(values['rest-port']),
  extProcPort: num(values['ext-proc-port']),
  extProcMessageTimeoutMs: num(values['hold-ms']),
  accessLog: values['access-log'],
  tracing: values['otlp-endpoint'] ? { endpoint: values['otlp-endpoint'] } : undefined,
});
if (values.out) writeFileSync(values.out, yaml);
else process.stdout.write(yaml);
