// One private CA and the certificates it signs: the webhook's serving certificate (ORCH-3113) and
// the mutual-TLS identities of the control plane (ORCH-3142: placement's listeners, each sidecar,
// Envoy's ext_proc client), in the local stack and its tests. Keys are made by Node's native RSA
// generator (node-forge's pure-JS one takes seconds on a loaded CI core); node-forge only builds and
// signs the X.509 structures, which Node cannot.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

export interface CertificateAuthority {
  /** PEM of the CA certificate: what peers trust (caBundle, tls.ca_file, --tls-ca). */
  readonly certPem: string;
  readonly keyPem: string;
  readonly commonName: string;
}

export interface IssuedCert {
  readonly cert: string;
  readonly key: string;
}

export type CertUsage = 'server' | 'client' | 'server+client';

export interface IssueOptions {
  readonly commonName: string;
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  readonly usage: CertUsage;
  /** Validity in days (default 365). */
  readonly days?: number;
}

function rsaKeyPair(): {
  publicKey: forge.pki.rsa.PublicKey;
  privateKey: forge.pki.rsa.PrivateKey;
} {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
  };
}

function serial(): string {
  // Positive 16-byte serial: a leading 0x40..0x7f keeps the DER integer positive.
  const bytes = randomBytes(16);
  bytes[0] = 0x40 | ((bytes[0] ?? 0) & 0x3f);
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = new Date(Date.now() - 60_000); // tolerate a little clock skew
  cert.validity.notBefore = now;
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
}

/** A fresh CA (kept by the caller; nothing is written). */
export function createCa(commonName: string, days = 365): CertificateAuthority {
  const keys = rsaKeyPair();
  const ca = forge.pki.createCertificate();
  ca.publicKey = keys.publicKey;
  ca.serialNumber = serial();
  validity(ca, days);
  const name = [{ name: 'commonName', value: commonName }];
  ca.setSubject(name);
  ca.setIssuer(name);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(keys.privateKey, forge.md.sha256.create());
  return {
    certPem: forge.pki.certificateToPem(ca),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
    commonName,
  };
}

/** A leaf certificate signed by `ca`. */
export function issueCert(ca: CertificateAuthority, o: IssueOptions): IssuedCert {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  validity(cert, o.days ?? 365);
  cert.setSubject([{ name: 'commonName', value: o.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...(o.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(o.ips ?? []).map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    {
      name: 'extKeyUsage',
      serverAuth: o.usage !== 'client',
      clientAuth: o.usage !== 'server',
    },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return {
    cert: forge.pki.certificateToPem(cert),
    key: forge.pki.privateKeyToPem(keys.privateKey),
  };
}

/** Where writeCertFiles put one identity: the names Kubernetes TLS Secrets use. */
export interface CertFiles {
  readonly dir: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * Writes `ca.crt`, `tls.crt` and `tls.key` (0600) into `dir`, each through a temp file and a
 * rename, so a process re-reading them (rotation, ORCH-3143) never sees half a file.
 */
export async function writeCertFiles(
  dir: string,
  ca: CertificateAuthority,
  issued: IssuedCert,
): Promise<CertFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: CertFiles = {
    dir,
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'tls.crt'),
    key: join(dir, 'tls.key'),
  };
  const put = async (path: string, text: string): Promise<void> => {
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, path);
  };
  await put(files.ca, ca.certPem);
  await put(files.cert, issued.cert);
  await put(files.key, issued.key);
  return files;
}
