// Serving certificates for the webhook (ORCH-3113). The API server only calls webhooks over TLS
// and checks the chain against the caBundle of the webhook configuration, so at start the webhook
// makes a private CA (kept in memory only), issues its serving cert for the Service's DNS names,
// and publishes the CA's certificate (never its key) through caBundle. The CA code is the one the
// control plane's mutual TLS uses (@llama-orch/tools tls/pki.ts).
import { createCa, issueCert } from '@llama-orch/tools';

export interface ServingTls {
  /** PEM of the CA certificate: what goes (base64) into caBundle. */
  caCert: string;
  cert: string;
  key: string;
}

/** A fresh CA and a cert it signed for `dnsNames`/`ips`, valid for `days` (default 365). */
export function selfSignedServingTls(
  dnsNames: readonly string[],
  ips: readonly string[] = [],
  days = 365,
): ServingTls {
  const ca = createCa('llama-orch-webhook-ca', days);
  const leaf = issueCert(ca, {
    commonName: dnsNames[0] ?? ips[0] ?? 'llama-orch-webhook',
    dnsNames,
    ips,
    usage: 'server',
    days,
  });
  return { caCert: ca.certPem, cert: leaf.cert, key: leaf.key };
}

/** The DNS names a Service is reached by from the API server. */
export const serviceDnsNames = (service: string, namespace: string): string[] => [
  service,
  `${service}.${namespace}`,
  `${service}.${namespace}.svc`,
  `${service}.${namespace}.svc.cluster.local`,
];
