// grpc-js server hosting envoy.service.ext_proc.v3.ExternalProcessor/Process.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { grpcServerCredentials } from '../auth/grpc-tls.js';
import type { GrpcTlsFiles } from '../auth/grpc-tls.js';
import type { ProcessingRequest, ProcessingResponse } from './envoy-types.js';
import { joinEnvoyTrace } from '../tracing/envoy-context.js';
import { processStream } from './process-stream.js';
import type { ProcessStreamOptions } from './process-stream.js';
import { externalProcessorService } from './protos.js';

interface ExtProcServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startExtProcServer(
  options: ProcessStreamOptions & {
    readonly host?: string;
    readonly port?: number;
    /** ORCH-3142: mutual TLS (Envoy presents its client certificate); absent = plaintext. */
    readonly tls?: GrpcTlsFiles;
  },
): Promise<ExtProcServer> {
  const server = new Server();
  server.addService(externalProcessorService(), {
    Process: (call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>) =>
      processStream(joinEnvoyTrace(call), options),
  });
  const port = await bindServer(
    server,
    `${options.host ?? '127.0.0.1'}:${options.port ?? 9002}`,
    grpcServerCredentials(options.tls),
  );
  return { port, close: () => shutdownServer(server) };
}

export function bindServer(
  server: Server,
  address: string,
  credentials: ServerCredentials = ServerCredentials.createInsecure(),
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

/** Graceful shutdown bounded in time: held streams are cancelled after a short grace. */
export function shutdownServer(server: Server, graceMs = 500): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
