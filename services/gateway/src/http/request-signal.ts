import type { ServerResponse } from 'node:http';
import { status } from '@grpc/grpc-js';
import { ServiceError, unavailable } from '#common/service-error.js';

export interface RequestSignal {
  signal: AbortSignal;
  /** Epoch ms: passed on to the transcriber as the gRPC deadline. */
  deadline: number;
  dispose(): void;
}

/**
 * One AbortSignal per HTTP request, as a gRPC call has (common/call-signal.ts): the client closing the
 * connection, --http-timeout-ms and server shutdown. Each reason is a ServiceError with the status the
 * client would see, so aborts map through the same table as every other failure.
 */
const DOWNSTREAM_MARGIN_MS = 1000;

export function createRequestSignal(res: ServerResponse, shutdown: AbortSignal, timeoutMs: number): RequestSignal {
  const controller = new AbortController();
  const abort = (reason: ServiceError) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onClose = () => {
    if (!res.writableFinished) abort(new ServiceError(status.CANCELLED, 'the client closed the connection'));
  };
  const onShutdown = () => abort(unavailable('server is shutting down; retry on another instance'));
  res.on('close', onClose);
  shutdown.addEventListener('abort', onShutdown, { once: true });
  if (shutdown.aborted) onShutdown();
  const timer = setTimeout(
    () =>
      abort(
        new ServiceError(
          status.DEADLINE_EXCEEDED,
          `the request took longer than ${timeoutMs} ms (--http-timeout-ms); send shorter audio or raise the limit`,
        ),
      ),
    timeoutMs,
  );
  timer.unref();
  return {
    signal: controller.signal,
    // A little past our own timer: the downstream deadline fired first in about half of loaded runs
    // (grpc-js rounds it down by a millisecond or two), and the client got grpc-js's bare "Deadline
    // exceeded" instead of the 504 naming --http-timeout-ms. Our abort cancels downstream anyway.
    deadline: Date.now() + timeoutMs + DOWNSTREAM_MARGIN_MS,
    dispose() {
      clearTimeout(timer);
      res.off('close', onClose);
      shutdown.removeEventListener('abort', onShutdown);
    },
  };
}
