import { ServerCredentials, type Server } from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';
import { log } from './log.js';

/** Binds to host:port (port 0 picks an ephemeral one) and resolves with the bound host:port. */
function listen(server: Server, address: string, creds: ServerCredentials): Promise<string> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => {
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

/**
 * A server's life in named states: starting → serving → draining → stopped. Draining sets health
 * NOT_SERVING, refuses new calls and lets running ones finish for the grace time; calls still running
 * just before it ends are aborted with UNAVAILABLE (through `shutdown`), then the server is forced
 * down and the service releases what it holds (workers, models).
 */
export type LifecycleState = 'starting' | 'serving' | 'draining' | 'stopped';

export interface LifecycleOptions {
  server: Server;
  health: HealthImplementation;
  /** Health service names to report besides "" (the whole server). */
  services: string[];
  defaultGraceMs: number;
  /** TLS or mTLS (common/tls.ts); plaintext when absent. */
  credentials?: ServerCredentials;
}

export function createServerLifecycle(options: LifecycleOptions) {
  const { server, health } = options;
  const shutdown = new AbortController();
  let state: LifecycleState = 'starting';
  let release: () => Promise<void> = async () => {};
  const setHealth = (status: 'SERVING' | 'NOT_SERVING') => {
    for (const name of ['', ...options.services]) health.setStatus(name, status);
  };
  setHealth('NOT_SERVING');
  return {
    /** Aborted when draining runs out of time: the signal every call joins. */
    shutdown: shutdown.signal,
    get state(): LifecycleState {
      return state;
    },
    /** Binds, then reports SERVING; `releaseOnStop` runs once the server is down. */
    async listen(address: string, releaseOnStop: () => Promise<void>): Promise<string> {
      release = releaseOnStop;
      const bound = await listen(server, address, options.credentials ?? ServerCredentials.createInsecure());
      state = 'serving';
      setHealth('SERVING');
      return bound;
    },
    /** While serving, health follows the service's own readiness (workers up, say). */
    setReady(ready: boolean): void {
      if (state === 'serving') setHealth(ready ? 'SERVING' : 'NOT_SERVING');
    },
    async stop(graceMs = options.defaultGraceMs): Promise<void> {
      if (state === 'draining' || state === 'stopped') return;
      state = 'draining';
      setHealth('NOT_SERVING');
      const abortLate = setTimeout(() => shutdown.abort(), Math.max(0, graceMs - 100));
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      clearTimeout(abortLate);
      shutdown.abort();
      await release();
      state = 'stopped';
    },
  };
}

export type ServerLifecycle = ReturnType<typeof createServerLifecycle>;

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
