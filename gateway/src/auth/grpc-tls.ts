// ORCH-3142, ORCH-3143: server credentials of placement's two gRPC listeners (ext_proc for Envoy,
// control for sidecars). With config `tls`, both are mutual TLS: a client must present a
// certificate that chains to tls.ca_file, so a rogue process that reaches the control port cannot
// register as a replica (and be sent users' prompts), nor act as Envoy. The three files are
// re-read every refresh_interval_ms by grpc-js's file watcher: a rotated Secret is served to new
// connections without a restart. Without `tls` the listeners are plaintext, which the config
// allows on loopback only (contracts semantic check).
import { readFileSync } from 'node:fs';
import { ServerCredentials, experimental } from '@grpc/grpc-js';

export interface GrpcTlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly refreshIntervalMs: number;
}

export function grpcServerCredentials(tls: GrpcTlsFiles | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  // Read once now so a missing or unreadable file stops the start with its name, instead of a
  // listener that silently fails every handshake.
  for (const [what, path] of [
    ['tls.ca_file', tls.caFile],
    ['tls.cert_file', tls.certFile],
    ['tls.key_file', tls.keyFile],
  ] as const) {
    try {
      if (!readFileSync(path, 'utf8').includes('-----BEGIN ')) throw new Error('not PEM');
    } catch (error) {
      throw new Error(`${what} ${path}: ${(error as Error).message}`);
    }
  }
  const provider = new experimental.FileWatcherCertificateProvider({
    caCertificateFile: tls.caFile,
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    refreshIntervalMs: tls.refreshIntervalMs,
  });
  return experimental.createCertificateProviderServerCredentials(provider, provider, true);
}
