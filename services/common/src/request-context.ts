import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

/** What identifies one call in logs, here and downstream. */
export interface RequestContext {
  requestId: string;
  method: string;
  /** The client's config.request_tag, once the config has been read. */
  requestTag?: string;
  /** A valid API key came with the call (always false when the server has no keys). */
  authenticated: boolean;
}

export const REQUEST_ID_HEADER = 'x-request-id';

const storage = new AsyncLocalStorage<RequestContext>();

// A client may send its own id to correlate; anything odd or long is replaced, not logged.
const USABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(metadata: Metadata): string {
  const sent = metadata.get(REQUEST_ID_HEADER)[0];
  return typeof sent === 'string' && USABLE_ID.test(sent) ? sent : randomUUID();
}

/** Runs one call's work with its context visible to logs and to outgoing calls it makes. */
export function runInRequest<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Called where the config is read, so later log lines of the call carry the client's tag. */
export function noteRequestTag(tag: string): void {
  const context = storage.getStore();
  if (context !== undefined && tag !== '') context.requestTag = tag.slice(0, 128);
}
