import type { Deadline, Metadata } from '@grpc/grpc-js';

/**
 * What the adapter knows of a call before any middleware runs, as nice-grpc's CallContext: every
 * middleware and the handler see these, plus whatever the middlewares before them added.
 */
export interface IncomingCall {
  /** The handler's name: the label of its counts, series and log lines. */
  readonly method: string;
  /** The client streams its requests (Transcribe, Diarize); unary calls log success at debug only. */
  readonly requestStream: boolean;
  /** The request headers. */
  readonly metadata: Metadata;
  /** The client's address without its port (one client may open many connections): admission's key. */
  readonly client: string;
  /** The client's deadline, to pass on to downstream calls. */
  readonly deadline: Deadline;
  /** Sent with the status, whether the call succeeds or fails (e.g. `retry-after-ms` on a refusal). */
  readonly trailer: Metadata;
  /** Sends response headers now, before the first message. */
  sendHeader(header: Metadata): void;
  /** The client cancelled the call. */
  on(event: 'cancelled', listener: () => void): unknown;
  off(event: 'cancelled', listener: () => void): unknown;
}

/**
 * One concern around a call. It runs the rest of the chain with `next`, passing the context on with
 * what it adds (`Added`) to the middlewares after it, which may in turn require it (`Required`);
 * generic in the context it is given, so what it does not know about passes through. Unlike
 * nice-grpc's async generators these wrap one promise per call: the adapters already fold a response
 * stream into the promise (writing runs inside it), and no middleware here needs single messages.
 */
export type CallMiddleware<Added = unknown, Required = unknown> = <T, C extends IncomingCall & Required>(
  context: C,
  next: (context: C & Added) => Promise<T>,
) => Promise<T>;

/** `outer` runs first and ends last; `inner` sees what `outer` added. */
export function composeMiddleware<A1, A2, R>(
  outer: CallMiddleware<A1, R>,
  inner: CallMiddleware<A2, R & A1>,
): CallMiddleware<A1 & A2, R> {
  return (context, next) => outer(context, (added) => inner(added, next));
}

/** Middlewares added in order, outermost first, each typed by what those before it added. */
export interface MiddlewareChain<Added> {
  use<More>(middleware: CallMiddleware<More, Added>): MiddlewareChain<Added & More>;
  /** Runs a call through every middleware, then the handler. */
  run<T>(call: IncomingCall, handler: (context: IncomingCall & Added) => Promise<T>): Promise<T>;
}

const passThrough: CallMiddleware = (context, next) => next(context);

export function middlewareChain(): MiddlewareChain<unknown> {
  const from = <Added>(chain: CallMiddleware<Added>): MiddlewareChain<Added> => ({
    use: (middleware) => from(composeMiddleware(chain, middleware)),
    run: (call, handler) => chain(call, handler),
  });
  return from(passThrough);
}
