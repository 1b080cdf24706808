import type { Metadata } from '@grpc/grpc-js';
import { RETRY_AFTER_TRAILER } from './grpc-status.js';
import { resourceExhausted } from './service-error.js';

export interface AdmissionLimits {
  /** Requests running at once on this server. */
  maxConcurrent: number;
  /** Requests running at once from one client address; 0 = no per-client limit. */
  maxPerClient: number;
  /** The retry hint sent with a refusal. */
  retryAfterMs: number;
  /** Work already waiting (e.g. seconds of queued audio) and its limit; at or past it, refuse. */
  backlog?: () => { queued: number; limit: number; what: string };
}

/** Who asks: a gRPC call's context, or the HTTP edge's own stand-in for one. */
export interface AdmissionCaller {
  /** The client's address without its port: the per-client key. */
  client: string;
  /** Where a refusal puts its `retry-after-ms` hint, sent with the status. */
  trailer: Pick<Metadata, 'set'>;
}

export interface AdmissionCounts {
  inFlight: number;
  refused: number;
}

/**
 * Admits or refuses whole requests at the door, as Triton's queue policy does: a request is refused
 * with RESOURCE_EXHAUSTED and a retry hint before it costs anything, and an admitted one is never
 * failed later for load. Without this, 3x overload made every request share the engine and miss its
 * deadline (11 of 66 finished, none after the 15th).
 */
export class Admission {
  private readonly perClient = new Map<string, number>();
  readonly counts: AdmissionCounts = { inFlight: 0, refused: 0 };

  constructor(private readonly limits: AdmissionLimits) {}

  /**
   * Takes a slot for the caller's client, or sets the caller's retry-after-ms trailer and throws
   * RESOURCE_EXHAUSTED; call the returned release exactly once.
   */
  admit({ client, trailer }: AdmissionCaller): () => void {
    const { maxConcurrent, maxPerClient, retryAfterMs, backlog } = this.limits;
    const fromClient = this.perClient.get(client) ?? 0;
    let reason: string | undefined;
    if (this.counts.inFlight >= maxConcurrent) reason = `the server is running its limit of ${maxConcurrent} requests`;
    else if (maxPerClient > 0 && fromClient >= maxPerClient)
      reason = `this client already has ${fromClient} requests running (limit ${maxPerClient} per client)`;
    else {
      const b = backlog?.();
      if (b !== undefined && b.queued >= b.limit)
        reason = `${Math.round(b.queued)} ${b.what} already wait (limit ${b.limit})`;
    }
    if (reason !== undefined) {
      this.counts.refused++;
      trailer.set(RETRY_AFTER_TRAILER, String(Math.round(retryAfterMs)));
      throw resourceExhausted(`overloaded: ${reason}; retry after ${retryAfterMs} ms with backoff`);
    }
    this.counts.inFlight++;
    this.perClient.set(client, fromClient + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.counts.inFlight--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    };
  }
}
