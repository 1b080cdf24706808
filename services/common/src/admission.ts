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
   * Refuse at once a request that could not finish before its deadline behind those running, or that
   * would push one of those running past its own, from the measured service rate (ServiceRate). For
   * the server that runs the engine: a gateway in front of several sees only their sum, and relays
   * their refusals.
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
  /** The deadlines (epoch ms) of the admitted requests that set one, by admission. */
  private readonly deadlines = new Map<object, number>();
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
    const slot = {};
    const deadlineMs = epochMs(deadline);
    if (deadlineMs !== undefined) this.deadlines.set(slot, deadlineMs);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.deadlines.delete(slot);
      this.rate.finished();
      this.counts.inFlight--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    };
  }

  /**
   * Why a request could not finish in time behind those running, or would make one of them late, and
   * when there should be room. The engine shares itself round-robin between requests, so a request
   * admitted now slows every one running: all of them are assumed to have a whole request's work
   * left and to finish together, (running + 1) / rate from now. Checking the new request's deadline
   * alone let later arrivals push earlier ones past theirs (3 of 8 admitted were late at 3x load).
   */
  private tooLate(deadline: Deadline | undefined): { reason: string; retryAfterMs: number } | undefined {
    // Nobody ahead: the request runs alone however slow the average one was.
    if (this.limits.refuseLate !== true || this.counts.inFlight === 0) return undefined;
    const waitMs = this.rate.expectedFinishMs();
    if (waitMs === undefined) return undefined;
    const now = Date.now();
    const leftMs = (epochMs(deadline) ?? Number.POSITIVE_INFINITY) - now;
    const maxWaitMs = this.limits.maxQueueWaitMs || Number.POSITIVE_INFINITY;
    // A request already past its deadline is lost whatever comes next; it protects nothing.
    let runningLeftMs = Number.POSITIVE_INFINITY;
    for (const d of this.deadlines.values()) if (d > now) runningLeftMs = Math.min(runningLeftMs, d - now);
    const budgetMs = Math.min(leftMs, maxWaitMs, runningLeftMs);
    if (waitMs <= budgetMs) return undefined;
    const sec = (ms: number) => (ms / 1000).toFixed(1);
    const running = `the ${this.counts.inFlight} running`;
    const behind = `a request admitted now would take about ${sec(waitMs)} s behind ${running}, past`;
    const why =
      budgetMs === leftMs
        ? `${behind} its deadline in ${sec(leftMs)} s`
        : budgetMs === maxWaitMs
          ? `${behind} the server's queue limit of ${sec(maxWaitMs)} s`
          : `a request admitted now would push ${running} to about ${sec(waitMs)} s, past the nearest of their deadlines in ${sec(runningLeftMs)} s`;
    // By then the work ahead has had time to shrink to what the budget allows; when a running request's
    // deadline binds, it has finished or given up by the end of it.
    const retryAfterMs = waitMs - budgetMs;
    return {
      reason: why,
      retryAfterMs: Math.round(budgetMs === runningLeftMs ? Math.min(retryAfterMs, runningLeftMs) : retryAfterMs),
    };
  }
}

function epochMs(deadline: Deadline | undefined): number | undefined {
  if (deadline === undefined) return undefined;
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}
