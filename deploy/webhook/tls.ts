// Serving certificates for the webhook (ORCH-3113). The API server only calls webhooks over TLS
// and checks the chain against the caBundle of the webhook configuration, so at start the webhook
// makes a private CA (kept in memory only), issues its serving cert for the Service's DNS names,
// and publishes the CA's certificate (never its key) through caBundle.
import forge from 'node-forge';

export interface ServingTls {
  /** PEM of the CA certificate: what goes (base64) into caBundle. */
  caCert: string;
  cert: string;
  key: string;
}

function serial(): string {
  // Positive 16-byte serial: a leading 0x01..0x7f keeps the DER integer positive.
  const bytes = forge.random.getBytesSync(16);
  return (0x40 | (bytes.charCodeAt(0) & 0x3f)).toString(16) + forge.util.bytesToHex(bytes.slice(1));
}

/** A fresh CA and a cert it signed for `dnsNames`/`ips`, valid for `days` (default 365). */
export function selfSignedServingTls(
  dnsNames: readonly string[],
  ips: readonly string[] = [],
  days = 365,
): ServingTls {
  const now = new Date(Date.now() - 60_000); // tolerate a little clock skew
  const until = new Date(now.getTime() + days * 86_400_000);

  const caKeys = forge.pki.rsa.generateKeyPair(2048);
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serial();
  ca.validity.notBefore = now;
  ca.validity.notAfter = until;
  const caName = [{ name: 'commonName', value: 'llama-orch-webhook-ca' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = now;
  cert.validity.notAfter = until;
  cert.setSubject([{ name: 'commonName', value: dnsNames[0] ?? ips[0] ?? 'llama-orch-webhook' }]);
  cert.setIssuer(caName);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...dnsNames.map((value) => ({ type: 2, value })),
        ...ips.map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    caCert: forge.pki.certificateToPem(ca),
    cert: forge.pki.certificateToPem(cert),
    key: forge.pki.privateKeyToPem(keys.privateKey),
  };
}

/** The DNS names a Service is reached by from the API server. */
export const serviceDnsNames = (service: string, namespace: string): string[] => [
  service,
  `${service}.${namespace}`,
  `${service}.${namespace}.svc`,
  `${service}.${namespace}.svc.cluster.local`,
];
