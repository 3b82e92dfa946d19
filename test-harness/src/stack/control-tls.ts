// ORCH-3142: the local stack's control-plane PKI. At every start `npm run up` and the test stacks
// make a fresh dev CA (nothing is reused between runs, no key leaves the stack's temp dir) and issue
// placement's serving certificate (for 127.0.0.1 and localhost), Envoy's ext_proc client
// certificate and one client certificate per sidecar; the layout is that of Kubernetes TLS Secrets
// (ca.crt, tls.crt, tls.key per identity), so the same flags work in a Pod.
import { join } from 'node:path';
import { createCa, issueCert, writeCertFiles } from '@llama-orch/tools';
import type { CertFiles, CertificateAuthority } from '@llama-orch/tools';

export interface ControlPlanePki {
  readonly ca: CertificateAuthority;
  readonly placement: CertFiles;
  readonly envoy: CertFiles;
  sidecar(index: number): Promise<CertFiles>;
  /** Envoy's SDS files (ext_proc client identity) live here. */
  readonly envoySdsDir: string;
}

export async function createControlPlanePki(dir: string): Promise<ControlPlanePki> {
  const ca = createCa('llama-orch-dev-ca');
  const placement = await writeCertFiles(
    join(dir, 'placement'),
    ca,
    issueCert(ca, {
      commonName: 'llama-orch-placement',
      dnsNames: ['localhost'],
      ips: ['127.0.0.1'],
      usage: 'server',
    }),
  );
  const envoy = await writeCertFiles(
    join(dir, 'envoy'),
    ca,
    issueCert(ca, { commonName: 'llama-orch-envoy', usage: 'client' }),
  );
  return {
    ca,
    placement,
    envoy,
    envoySdsDir: join(dir, 'envoy-sds'),
    sidecar: (index) =>
      writeCertFiles(
        join(dir, `sidecar-${index}`),
        ca,
        issueCert(ca, { commonName: `llama-orch-sidecar-${index}`, usage: 'client' }),
      ),
  };
}
