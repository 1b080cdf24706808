import type { Deadline, Metadata } from '@grpc/grpc-js';
import { RETRY_AFTER_TRAILER } from './grpc-status.js';
import { ServiceRate } from './service-rate.js';
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
  /**
   * Refuse at once a request that could not finish before its deadline behind those running, from
   * the measured service rate (ServiceRate). For the server that runs the engine: a gateway in front
   * of several sees only their sum, and relays their refusals.
   */
  refuseLate?: boolean;
  /** With refuseLate: the longest a request admitted now may expect to take, whatever its deadline (0 = its deadline alone). */
  maxQueueWaitMs?: number;
}

/** Who asks: a gRPC call's context, or the HTTP edge's own stand-in for one. */
export interface AdmissionCaller {
  /** The per-client key: the API key's digest when the caller proved one, else its address without the port. */
  client: string;
  /** Where a refusal puts its `retry-after-ms` hint, sent with the status. */
  trailer: Pick<Metadata, 'set'>;
  /** The caller's deadline, when it set one. */
  deadline?: Deadline;
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
  constructor(
    private readonly limits: AdmissionLimits,
    /** Measured on the admitted requests themselves: when a new one would finish. */
    readonly rate = new ServiceRate(),
  ) {}

  /**
   * Takes a slot for the caller's client, or sets the caller's retry-after-ms trailer and throws
   * RESOURCE_EXHAUSTED; call the returned release exactly once.
   */
  admit({ client, trailer, deadline }: AdmissionCaller): () => void {
    const { maxConcurrent, maxPerClient, backlog } = this.limits;
    const fromClient = this.perClient.get(client) ?? 0;
    let retryAfterMs = this.limits.retryAfterMs;
    let reason: string | undefined;
    if (this.counts.inFlight >= maxConcurrent) reason = `the server is running its limit of ${maxConcurrent} requests`;
    else if (maxPerClient > 0 && fromClient >= maxPerClient)
      reason = `this client already has ${fromClient} requests running (limit ${maxPerClient} per client)`;
    else {
      const b = backlog?.();
      if (b !== undefined && b.queued >= b.limit)
        reason = `${Math.round(b.queued)} ${b.what} already wait (limit ${b.limit})`;
      else {
        const late = this.tooLate(deadline);
        if (late !== undefined) {
          reason = late.reason;
          retryAfterMs = Math.max(retryAfterMs, late.retryAfterMs);
        }
      }
    }
    if (reason !== undefined) {
      this.counts.refused++;
      trailer.set(RETRY_AFTER_TRAILER, String(Math.round(retryAfterMs)));
      throw resourceExhausted(`overloaded: ${reason}; retry after ${retryAfterMs} ms with backoff`);
    }
    this.counts.inFlight++;
    this.perClient.set(client, fromClient + 1);
    this.rate.started();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.rate.finished();
      this.counts.inFlight--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    };
  }

  /** Why a request could not finish in time behind those running, and when there should be room. */
  private tooLate(deadline: Deadline | undefined): { reason: string; retryAfterMs: number } | undefined {
    // Nobody ahead: the request runs alone however slow the average one was.
    if (this.limits.refuseLate !== true || this.counts.inFlight === 0) return undefined;
    const waitMs = this.rate.expectedFinishMs();
    if (waitMs === undefined) return undefined;
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : (deadline ?? Number.POSITIVE_INFINITY);
    const leftMs = deadlineMs - Date.now();
    const maxWaitMs = this.limits.maxQueueWaitMs || Number.POSITIVE_INFINITY;
    const budgetMs = Math.min(leftMs, maxWaitMs);
    if (waitMs <= budgetMs) return undefined;
    const sec = (ms: number) => (ms / 1000).toFixed(1);
    const limit =
      leftMs <= maxWaitMs ? `its deadline in ${sec(leftMs)} s` : `the server's queue limit of ${sec(maxWaitMs)} s`;
    return {
      reason: `a request admitted now would take about ${sec(waitMs)} s behind the ${this.counts.inFlight} running, past ${limit}`,
      // By then the work ahead of a new request has had time to shrink to what the budget allows.
      retryAfterMs: Math.round(waitMs - budgetMs),
    };
  }
}
