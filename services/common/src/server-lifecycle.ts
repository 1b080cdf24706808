import { Server, ServerCredentials } from '@grpc/grpc-js';
import { log } from './log.js';

/** Binds to host:port (port 0 picks an ephemeral one) and resolves with the bound host:port. */
export function listen(server: Server, address: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => {
      if (err !== null) {
        reject(err);
        return;
      }
      const host = address.slice(0, address.lastIndexOf(':'));
      const bound = `${host}:${port}`;
      log.info(`listening on ${bound}`);
      resolve(bound);
    });
  });
}

/** Graceful stop with a time limit, so a stuck stream cannot hang shutdown. */
export async function stopServer(server: Server, graceMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Runs stop() once on SIGINT/SIGTERM; a second signal exits at once. */
export function onTerminationSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (sig: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log.info(`${sig} received, shutting down`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
