// ORCH-3142, ORCH-3143: the sidecar's mutual-TLS identity on the control stream. Placement accepts
// only clients whose certificate chains to its CA, so a process without one cannot register and is
// never sent a task. The files are re-read every refreshIntervalMs (grpc-js's file watcher), so a
// rotated Kubernetes Secret is presented on the next (re)connect without a restart.
import { credentials, experimental } from '@grpc/grpc-js';
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';

export interface ControlTlsFiles {
  /** PEM CA that placement's serving certificate must chain to. */
  readonly caFile: string;
  /** This sidecar's client certificate (PEM chain) and key. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Name checked against placement's certificate instead of the dialled host. */
  readonly serverName?: string;
  /** Default 60 s. */
  readonly refreshIntervalMs?: number;
}

/** Credentials and channel options of the control client: mTLS when `tls` is set, else plaintext. */
export function controlChannel(tls: ControlTlsFiles | undefined): {
  credentials: ChannelCredentials;
  options: ChannelOptions;
} {
  if (tls === undefined) return { credentials: credentials.createInsecure(), options: {} };
  const provider = new experimental.FileWatcherCertificateProvider({
    caCertificateFile: tls.caFile,
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    refreshIntervalMs: tls.refreshIntervalMs ?? 60_000,
  });
  return {
    credentials: experimental.createCertificateProviderChannelCredentials(provider, provider),
    options:
      tls.serverName !== undefined ? { 'grpc.ssl_target_name_override': tls.serverName } : {},
  };
}

/** All three files or none: a half-configured identity is a startup error, not plaintext. */
export function controlTlsFrom(v: {
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  serverName?: string | undefined;
}): ControlTlsFiles | undefined {
  const given = [v.ca, v.cert, v.key].filter((x) => x !== undefined && x !== '');
  if (given.length === 0) return undefined;
  if (given.length !== 3 || !v.ca || !v.cert || !v.key) {
    throw new Error('--tls-ca, --tls-cert and --tls-key go together (ORCH-3142)');
  }
  return {
    caFile: v.ca,
    certFile: v.cert,
    keyFile: v.key,
    ...(v.serverName ? { serverName: v.serverName } : {}),
  };
}
