// The placement service's process wiring: flags/env → config → startGateway, signals → close.
// `main.ts` calls it with nothing extra; test entry points pass extra HTTP plugins (the
// provider-state hook lives in gateway/test/support and is never part of a production build).
//   flags: --config <file> [--host H] [--rest-port N] [--ext-proc-port N] [--control-port N]
//          [--log-level L] [--config-readonly]
//   env: ORCH_CONFIG, ORCH_REST_PORT, ORCH_EXT_PROC_PORT, ORCH_CONTROL_PORT, ORCH_LOG_LEVEL,
//        ORCH_ADMIN_TOKEN (an operator key of tenant "default"; hashed at startup, never logged),
//        ORCH_CONFIG_READONLY=1 (= --config-readonly: a successful reload does not rewrite the file)
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '@llama-orch/contracts';
import { gatewayOptionsFrom } from './config.js';
import { startGateway } from './gateway.js';
import { startTracing } from './tracing/sdk.js';
import type { HttpPlugin } from './http/app.js';

interface ServeExtras {
  /** Registered after the product routes (tests: the provider-state hook). */
  readonly httpPlugins?: readonly HttpPlugin[];
}

export async function servePlacement(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  extras: ServeExtras = {},
): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      'rest-port': { type: 'string' },
      'ext-proc-port': { type: 'string' },
      'control-port': { type: 'string' },
      'log-level': { type: 'string' },
      'config-readonly': { type: 'boolean' },
    },
  });

  const configPath = values.config ?? env.ORCH_CONFIG;
  if (!configPath) {
    process.stderr.write('usage: gateway --config <config.yaml> (or ORCH_CONFIG)\n');
    process.exit(2);
  }
  const port = (flag: string | undefined, fromEnv: string | undefined): number | undefined =>
    (flag ?? fromEnv) ? Number(flag ?? fromEnv) : undefined;

  // Before the servers start, so their spans go to the SDK (OTEL_EXPORTER_OTLP_ENDPOINT enables it).
  const tracing = await startTracing(env, 'llama-orch-placement');
  const base = gatewayOptionsFrom(loadConfig(configPath));
  // ORCH-3035: startGateway refuses auth off on a non-loopback bind (e.g. --host 0.0.0.0 over a
  // loopback config); say why and exit instead of printing a stack trace.
  const gateway = await startGateway({
    ...base,
    host: values.host ?? base.host,
    restPort: port(values['rest-port'], env.ORCH_REST_PORT) ?? base.restPort,
    extProcPort: port(values['ext-proc-port'], env.ORCH_EXT_PROC_PORT) ?? base.extProcPort,
    controlPort: port(values['control-port'], env.ORCH_CONTROL_PORT) ?? base.controlPort,
    logger: values['log-level'] ?? env.ORCH_LOG_LEVEL ?? 'info',
    ...(extras.httpPlugins && { httpPlugins: extras.httpPlugins }),
    // ORCH-3031: a successful reload rewrites the file (not inline YAML, not a read-only mount).
    ...(existsSync(configPath) && {
      configFile: {
        path: configPath,
        readOnly: values['config-readonly'] ?? /^(1|true)$/i.test(env.ORCH_CONFIG_READONLY ?? ''),
      },
    }),
  }).catch((error: unknown) => {
    process.stderr.write(`gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void gateway
        .close()
        .then(() => tracing?.shutdown())
        .then(() => process.exit(0));
    });
  }
}
