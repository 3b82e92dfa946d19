// Webhook process entry point: env → startWebhook. Wiring only; see README.md for every setting.
import { DEFAULT_SIDECAR_COMMAND } from './inject.js';
import { serviceDnsNames } from './tls.js';
import { startWebhook } from './webhook.js';

const env = process.env;
const need = (name: string): string => {
  const v = env[name];
  if (v === undefined || v === '')
    throw new Error(`missing ${name} (see deploy/webhook/README.md)`);
  return v;
};
const port = Number(env.WEBHOOK_PORT ?? '8443');
const sidecarPort = Number(env.SIDECAR_PORT ?? '8100');
for (const [name, v] of [
  ['WEBHOOK_PORT', port],
  ['SIDECAR_PORT', sidecarPort],
] as const) {
  if (!Number.isInteger(v) || v < 1 || v > 65535) throw new Error(`${name} must be a TCP port`);
}
const determinism = env.DETERMINISM ?? 'strict';
if (determinism !== 'strict' && determinism !== 'relaxed') {
  throw new Error(`DETERMINISM must be strict or relaxed, not ${determinism}`);
}
const namespace = env.POD_NAMESPACE ?? 'llama-orch';
const service = env.WEBHOOK_SERVICE ?? 'llama-orch-webhook';
const handle = await startWebhook({
  // TLS always; the API server reaches the pod through its Service.
  host: env.WEBHOOK_HOST ?? '0.0.0.0',
  port,
  dnsNames: serviceDnsNames(service, namespace),
  tlsDir: env.WEBHOOK_TLS_DIR,
  patchConfigName:
    env.WEBHOOK_TLS_DIR === undefined
      ? (env.WEBHOOK_CONFIG_NAME ?? 'llama-orch-sidecar-injector')
      : undefined,
  injector: {
    sidecarImage: need('SIDECAR_IMAGE'),
    placementAddress: env.PLACEMENT_ADDRESS ?? `llama-orch-placement.${namespace}.svc:9003`,
    sidecarPort,
    strict: determinism === 'strict',
    sidecarCommand: DEFAULT_SIDECAR_COMMAND,
    ...(env.SIDECAR_TLS_SECRET ? { controlTlsSecret: env.SIDECAR_TLS_SECRET } : {}),
  },
});
process.stdout.write(`webhook listening on :${handle.port} (determinism ${determinism})\n`);
const stop = (): void => void handle.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
