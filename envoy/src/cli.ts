// Print the Envoy bootstrap: `tsx envoy/src/cli.ts --listen-port 8080 --rest-port 8081 > envoy.yaml`.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderEnvoyBootstrap } from './bootstrap.js';
import { renderExtProcSdsFiles } from './ext-proc-tls.js';
import type { ExtProcTlsOptions } from './ext-proc-tls.js';

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
    // ORCH-3142: a directory with ca.crt, tls.crt and tls.key (a Kubernetes TLS Secret): mTLS
    // to placement's ext_proc. The SDS files go beside --out (required with it).
    'ext-proc-tls-dir': { type: 'string' },
    'ext-proc-server-name': { type: 'string' },
    out: { type: 'string' },
  },
});
const num = (v: string | undefined): number | undefined =>
  v === undefined ? undefined : Number(v);

const tlsDir = values['ext-proc-tls-dir'];
if (tlsDir !== undefined && values.out === undefined) {
  process.stderr.write('--ext-proc-tls-dir needs --out (the SDS files are written beside it)\n');
  process.exit(2);
}
const extProcTls: ExtProcTlsOptions | undefined =
  tlsDir === undefined || values.out === undefined
    ? undefined
    : {
        caFile: join(tlsDir, 'ca.crt'),
        certFile: join(tlsDir, 'tls.crt'),
        keyFile: join(tlsDir, 'tls.key'),
        ...(values['ext-proc-server-name'] ? { serverName: values['ext-proc-server-name'] } : {}),
        sdsDir: dirname(values.out),
      };
const yaml = renderEnvoyBootstrap({
  extProcTls,
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
if (extProcTls) {
  for (const [name, text] of Object.entries(renderExtProcSdsFiles(extProcTls))) {
    writeFileSync(join(extProcTls.sdsDir, name), text);
  }
}
if (values.out) writeFileSync(values.out, yaml);
else process.stdout.write(yaml);
