import { status, type Deadline } from '@grpc/grpc-js';
import { ServiceError } from './service-error.js';

interface ServerSurfaceCall {
  on(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
  getDeadline(): Deadline;
}

export interface CallSignal {
  signal: AbortSignal;
  dispose(): void;
}

/**
 * One AbortSignal per call, joined with AbortSignal.any from client cancel, the call's deadline and
 * server shutdown, and the server's own longest-request limit. Every abort reason is a ServiceError carrying the status the client should see.
 */
export function createCallSignal(call: ServerSurfaceCall, shutdown: AbortSignal, maxRequestMs = 0): CallSignal {
  const cancelled = new AbortController();
  const onCancelled = () => cancelled.abort(new ServiceError(status.CANCELLED, 'cancelled by the client'));
  call.on('cancelled', onCancelled);
  const sources = [cancelled.signal, shutdown];
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  const expired = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  if (Number.isFinite(deadlineMs)) {
    // Not AbortSignal.timeout: its reason is a bare TimeoutError, and its timer cannot be cleared.
    timer = setTimeout(
      () => expired.abort(new ServiceError(status.DEADLINE_EXCEEDED, 'deadline exceeded')),
      Math.max(0, deadlineMs - Date.now()),
    );
    timer.unref();
    sources.push(expired.signal);
  }
  // The server's own cap, for clients that set no deadline (or a very long one).
  const capped = new AbortController();
  const capTimer =
    maxRequestMs > 0
      ? setTimeout(
          () =>
            capped.abort(
              new ServiceError(
                status.DEADLINE_EXCEEDED,
                `the request ran past the server's limit of ${maxRequestMs / 1000} s; split the audio or ask the operator to raise --max-request-ms`,
              ),
            ),
          maxRequestMs,
        )
      : undefined;
  capTimer?.unref();
  if (capTimer !== undefined) sources.push(capped.signal);
  return {
    signal: AbortSignal.any(sources),
    dispose() {
      clearTimeout(timer);
      clearTimeout(capTimer);
      call.off('cancelled', onCancelled);
    },
  };
}
