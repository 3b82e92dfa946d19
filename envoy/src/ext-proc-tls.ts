// ORCH-3142, ORCH-3143: Envoy's client identity towards placement's ext_proc listener (mutual
// TLS). The certificate, key and CA come through file-based SDS: each secret is a small YAML file
// Envoy watches (path_config_source + watched_directory), and each names the PEM files, whose
// directory Envoy also watches. A rotated Kubernetes Secret (an atomic `..data` symlink swap in
// the mounted directory) is therefore picked up without restarting Envoy; static
// `tls_certificates` would be read once at start.
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

export interface ExtProcTlsOptions {
  /** PEM CA placement's serving certificate must chain to. */
  readonly caFile: string;
  /** Envoy's client certificate (PEM chain) and key. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Name placement's certificate must carry (SNI and SAN check); default the gateway host. */
  readonly serverName?: string;
  /** Directory of the two SDS files (written with renderExtProcSdsFiles); Envoy watches it. */
  readonly sdsDir: string;
}

const SECRET_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';
const EXT_PROC_CLIENT_SECRET = 'ext_proc_client_cert';
const EXT_PROC_CA_SECRET = 'ext_proc_ca';
const CLIENT_SDS_FILE = 'ext-proc-client.sds.yaml';
const CA_SDS_FILE = 'ext-proc-ca.sds.yaml';

function sdsSource(dir: string, file: string): Record<string, unknown> {
  return {
    resource_api_version: 'V3',
    path_config_source: { path: join(dir, file), watched_directory: { path: dir } },
  };
}

/** The ext_proc cluster's transport socket: TLS with a client certificate, peer verified. */
export function extProcTransportSocket(
  tls: ExtProcTlsOptions,
  gatewayHost: string,
): Record<string, unknown> {
  const sni = tls.serverName ?? gatewayHost;
  const isIp = /^[0-9.]+$|:/.test(sni);
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      // An IP is not a valid SNI value; the SAN check below still pins the name or address.
      ...(isIp ? {} : { sni }),
      common_tls_context: {
        alpn_protocols: ['h2'],
        tls_certificate_sds_secret_configs: [
          { name: EXT_PROC_CLIENT_SECRET, sds_config: sdsSource(tls.sdsDir, CLIENT_SDS_FILE) },
        ],
        combined_validation_context: {
          default_validation_context: {
            match_typed_subject_alt_names: [
              { san_type: isIp ? 'IP_ADDRESS' : 'DNS', matcher: { exact: sni } },
            ],
          },
          validation_context_sds_secret_config: {
            name: EXT_PROC_CA_SECRET,
            sds_config: sdsSource(tls.sdsDir, CA_SDS_FILE),
          },
        },
      },
    },
  };
}

/** The SDS files the bootstrap points at: file name in sdsDir → YAML. */
export function renderExtProcSdsFiles(tls: ExtProcTlsOptions): Record<string, string> {
  const certDir = dirname(tls.certFile);
  const caDir = dirname(tls.caFile);
  const doc = (secret: Record<string, unknown>): string =>
    stringify({ resources: [{ '@type': SECRET_TYPE, ...secret }] }, { lineWidth: 0 });
  return {
    [CLIENT_SDS_FILE]: doc({
      name: EXT_PROC_CLIENT_SECRET,
      tls_certificate: {
        certificate_chain: { filename: tls.certFile },
        private_key: { filename: tls.keyFile },
        watched_directory: { path: certDir },
      },
    }),
    [CA_SDS_FILE]: doc({
      name: EXT_PROC_CA_SECRET,
      validation_context: {
        trusted_ca: { filename: tls.caFile },
        watched_directory: { path: caDir },
      },
    }),
  };
}
