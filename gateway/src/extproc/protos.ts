// Loads Envoy's ext_proc service definition at runtime from the protos @grpc/grpc-js-xds ships
// (deps/envoy-api, xds, googleapis, protoc-gen-validate). Nothing is copied into the repo.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadPackageDefinition } from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const EXT_PROC_PROTO = 'envoy/service/ext_proc/v3/external_processor.proto';

let cached: ServiceDefinition | undefined;

/** The `envoy.service.ext_proc.v3.ExternalProcessor` service definition (loaded once). */
export function externalProcessorService(): ServiceDefinition {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const definition = loadSync(EXT_PROC_PROTO, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) =>
      join(deps, d),
    ),
  });
  const root = loadPackageDefinition(definition) as unknown as PackageTree;
  const ctor = root.envoy?.service?.ext_proc?.v3?.ExternalProcessor;
  if (!ctor?.service) throw new Error('ExternalProcessor service missing from the ext_proc protos');
  cached = ctor.service;
  return cached;
}

interface PackageTree {
  envoy?: {
    service?: { ext_proc?: { v3?: { ExternalProcessor?: { service?: ServiceDefinition } } } };
  };
}
