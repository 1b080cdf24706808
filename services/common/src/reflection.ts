import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

const PROTO_ROOT = fileURLToPath(new URL('../../../../proto', import.meta.url));
const HEALTH_PROTO_ROOT = join(
  dirname(createRequire(import.meta.url).resolve('grpc-health-check')),
  '..',
  '..',
  'proto',
);

/**
 * gRPC server reflection (v1 and v1alpha), so grpcurl, ghz and k6 can call the API without the
 * .proto files. Served like health: without an API key, since it only describes the schema.
 */
export function addReflection(server: Server, protoFile: string, services: string[]): void {
  const definition = loadSync([protoFile, 'health/v1/health.proto'], {
    includeDirs: [PROTO_ROOT, HEALTH_PROTO_ROOT],
    keepCase: true,
  });
  new ReflectionService(definition as never, { services: [...services, 'grpc.health.v1.Health'] }).addToServer(server);
}
