import { status } from '@grpc/grpc-js';
import { ServiceError } from '../service-error.js';
import type { CallMiddleware, IncomingCall } from './compose.js';

export interface CallSignal {
  signal: AbortSignal;
  dispose(): void;
}

type SignalSource = Pick<IncomingCall, 'deadline' | 'on' | 'off'>;

/**
 * One AbortSignal per call, joined with AbortSignal.any from client cancel, the call's deadline and
 * server shutdown, and the server's own longest-request limit. Every abort reason is a ServiceError
 * carrying the status the client should see.
 */
export function createCallSignal(call: SignalSource, shutdown: AbortSignal, maxRequestMs = 0): CallSignal {
  const cancelled = new AbortController();
  const onCancelled = () => cancelled.abort(new ServiceError(status.CANCELLED, 'cancelled by the client'));
  call.on('cancelled', onCancelled);
  const sources = [cancelled.signal, shutdown];
  const deadlineMs = call.deadline instanceof Date ? call.deadline.getTime() : call.deadline;
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

/**
 * Gives the call its joined signal. Once it has fired, whatever the handler threw on the way out (an
 * AbortError, a closed stream) is replaced by the signal's reason, so the client sees why it ended.
 */
export function callSignal(shutdown: AbortSignal, maxRequestMs: number): CallMiddleware<{ signal: AbortSignal }> {
  return async (context, next) => {
    const { signal, dispose } = createCallSignal(context, shutdown, maxRequestMs);
    try {
      return await next({ ...context, signal });
    } catch (err: unknown) {
      throw signal.aborted ? signal.reason : err;
    } finally {
      dispose();
    }
  };
}
