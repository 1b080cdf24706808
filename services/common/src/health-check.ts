import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type ChannelCredentials,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

type CheckFn = (
  req: { service: string },
  md: Metadata,
  opts: { deadline: number },
  cb: (err: Error | null, res?: { status: string | number }) => void,
) => void;
const HealthClient = makeGenericClientConstructor(
  healthService as unknown as ServiceDefinition,
  'grpc.health.v1.Health',
);

/** Asks grpc.health.v1 once; resolves with SERVING, NOT_SERVING... or the connection error. */
export function checkHealth(
  address: string,
  serviceName = '',
  timeoutMs = 2000,
  creds: ChannelCredentials = credentials.createInsecure(),
): Promise<string> {
  const client = new HealthClient(address, creds);
  const check = (client as unknown as { check: CheckFn }).check.bind(client);
  return new Promise<string>((resolve, reject) => {
    check({ service: serviceName }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err !== null) reject(err);
      else
        resolve(
          typeof res?.status === 'number'
            ? (['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][res.status] ?? 'UNKNOWN')
            : String(res?.status),
        );
    });
  }).finally(() => client.close());
}

/** Polls until the service is SERVING; for scripts that start a stack and then use it. */
export async function waitUntilServing(
  address: string,
  timeoutMs: number,
  creds: ChannelCredentials = credentials.createInsecure(),
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      if ((await checkHealth(address, '', 2000, creds)) === 'SERVING') return;
    } catch (err: unknown) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${address} not SERVING after ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`,
  );
}
