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

// Node's Http2Stream.close() ends the writable side before it resets the stream, so a gateway that
// cancels a call sends END_STREAM and then RST_STREAM: the handler sees a complete (often empty) upload
// and fails it (INVALID_ARGUMENT) a moment before grpc-js reports the cancel. A failure waits this
// long for a cancel already on its way, so the call is counted and logged as CANCELLED, not as the
// client's mistake (144 such spurious INVALID_ARGUMENTs were seen under load). Only failures pay it.
const CANCEL_GRACE_MS = 25;

function cancelGrace(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, CANCEL_GRACE_MS);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
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
      if (!signal.aborted) await cancelGrace(signal);
      throw signal.aborted ? signal.reason : err;
    } finally {
      dispose();
    }
  };
}
