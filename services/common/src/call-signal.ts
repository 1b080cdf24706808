import { status, type Deadline } from '@grpc/grpc-js';

interface ServerSurfaceCall {
  on(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
  getDeadline(): Deadline;
}
import { ServiceError } from './service-error.js';

export interface CallSignal {
  signal: AbortSignal;
  dispose(): void;
}

/**
 * One AbortSignal per call that joins client cancel, the call's deadline and server shutdown. The
 * abort reason is a ServiceError with the status the client should see.
 */
export function createCallSignal(call: ServerSurfaceCall, shutdown: AbortSignal): CallSignal {
  const controller = new AbortController();
  const abort = (code: status, message: string) => {
    if (!controller.signal.aborted) controller.abort(new ServiceError(code, message));
  };
  const onCancelled = () => abort(status.CANCELLED, 'cancelled by the client');
  const onShutdown = () => abort(status.UNAVAILABLE, 'server is shutting down; retry on another instance');
  call.on('cancelled', onCancelled);
  if (shutdown.aborted) onShutdown();
  shutdown.addEventListener('abort', onShutdown, { once: true });

  let timer: NodeJS.Timeout | undefined;
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  if (Number.isFinite(deadlineMs)) {
    timer = setTimeout(() => abort(status.DEADLINE_EXCEEDED, 'deadline exceeded'), Math.max(0, deadlineMs - Date.now()));
    timer.unref();
  }
  return {
    signal: controller.signal,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      call.off('cancelled', onCancelled);
      shutdown.removeEventListener('abort', onShutdown);
    },
  };
}
