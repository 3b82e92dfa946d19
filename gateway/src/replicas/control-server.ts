// grpc-js server for llama_orch.placement.v1.Placement/Connect (ORCH-4010): one bidi stream per
// sidecar, handed to the registry.
import { Server } from '@grpc/grpc-js';
import { PlacementService } from '@llama-orch/proto';
import type { PlacementServer } from '@llama-orch/proto';
import { grpcServerCredentials } from '../auth/grpc-tls.js';
import type { GrpcTlsFiles } from '../auth/grpc-tls.js';
import { bindServer, shutdownServer } from '../extproc/server.js';
import type { ReplicaRegistry } from './registry.js';

interface ControlServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startControlServer(options: {
  readonly registry: ReplicaRegistry;
  readonly host?: string;
  readonly port?: number;
  /** ORCH-3142: mutual TLS; a sidecar without a certificate of tls.caFile cannot register. */
  readonly tls?: GrpcTlsFiles;
}): Promise<ControlServer> {
  const server = new Server();
  const impl: PlacementServer = { connect: (call) => options.registry.handleConnect(call) };
  server.addService(PlacementService, impl);
  const port = await bindServer(
    server,
    `${options.host ?? '127.0.0.1'}:${options.port ?? 9003}`,
    grpcServerCredentials(options.tls),
  );
  return {
    port,
    close: async () => {
      options.registry.closeAll();
      await shutdownServer(server);
    },
  };
}
