import { status, type StatusObject, Metadata } from '@grpc/grpc-js';
import { ServiceError } from './service-error.js';
import { log } from './log.js';
import { redactText } from './redact.js';

/** `retryAfterMs`: the hint a downstream refusal came back with, passed on to our client. */
export type ErrorStatus = Pick<StatusObject, 'code' | 'details'> & { retryAfterMs?: number };

/**
 * The trailer that tells a refused client when to try again (RESOURCE_EXHAUSTED). A refusal sets it
 * on the call's trailer (see admission.ts); a downstream one's is forwarded by toGrpcError.
 */
export const RETRY_AFTER_TRAILER = 'retry-after-ms';

/** A status that came back from a downstream gRPC call (grpc-js attaches code and details). */
const isGrpcCallError = (err: unknown): err is Error & { code: number; details: string; metadata?: Metadata } =>
  err instanceof Error &&
  typeof (err as { code?: unknown }).code === 'number' &&
  typeof (err as { details?: unknown }).details === 'string';

// Socket-level failures mapped by cause, as connect-es does: the peer is down or went away.
const NODE_ERROR_CODES: Record<string, status> = {
  ECONNREFUSED: status.UNAVAILABLE,
  ECONNRESET: status.UNAVAILABLE,
  EPIPE: status.UNAVAILABLE,
  ETIMEDOUT: status.DEADLINE_EXCEEDED,
};

/**
 * The one place that turns any error into a gRPC status. Known errors keep their code and message;
 * an abort keeps the code of its reason (cancel, deadline, shutdown); anything else is logged with
 * its stack and answered as INTERNAL without leaking internals.
 */
function toErrorStatus(err: unknown): ErrorStatus {
  if (err instanceof ServiceError) return { code: err.code, details: err.message };
  if (isGrpcCallError(err)) {
    // A downstream refusal keeps its retry hint on the way back to the client.
    const hint = Number(err.metadata instanceof Metadata ? err.metadata.get(RETRY_AFTER_TRAILER)[0] : undefined);
    return { code: err.code, details: err.details, retryAfterMs: Number.isFinite(hint) ? hint : undefined };
  }
  if (err instanceof Error && err.name === 'AbortError') {
    const reason = (err as { cause?: unknown }).cause;
    return reason === undefined ? { code: status.CANCELLED, details: 'cancelled' } : toErrorStatus(reason);
  }
  const nodeCode = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  const mapped = nodeCode === undefined ? undefined : NODE_ERROR_CODES[nodeCode];
  if (mapped !== undefined) return { code: mapped, details: `peer unreachable (${nodeCode})` };
  log.error('unexpected error', { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return { code: status.INTERNAL, details: 'internal error (logged on the server)' };
}

/**
 * The shape grpc-js accepts when a handler fails. `metadata` holds only the trailers a downstream
 * status carried that our client should see too (its retry hint); the call's own are on its context.
 */
export function toGrpcError(err: unknown): StatusObject & { message: string } {
  const s = toErrorStatus(err);
  // A message may quote a worker's stderr or a downstream answer: no secret leaves in it.
  const details = redactText(s.details);
  const metadata = new Metadata();
  if (s.retryAfterMs !== undefined) metadata.set(RETRY_AFTER_TRAILER, String(Math.round(s.retryAfterMs)));
  return { code: s.code, details, message: details, metadata };
}

const STATUS_NAMES = new Map(Object.entries(status).map(([name, code]) => [code, name]));

/** "RESOURCE_EXHAUSTED" for 8: the label of metrics and log lines. */
export const statusName = (code: status): string => STATUS_NAMES.get(code) ?? 'UNKNOWN';
