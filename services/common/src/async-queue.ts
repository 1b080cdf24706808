/**
 * Merges an item into the last one still queued (undefined = keep both): progress reports like
 * "settled up to sample N" replace each other, so a slow consumer holds one, not thousands.
 */
export type Coalesce<T> = (last: T, next: T) => T | undefined;

/**
 * A single-consumer queue that is also an async iterable; producers close or fail it. It holds what
 * the consumer has not read: bounded by coalescing progress items, and by the producers' own limits
 * (chunks in flight per request, audio held per request).
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];

  constructor(private readonly coalesce?: Coalesce<T>) {}
  private closed = false;
  private failure: { error: unknown } | undefined;

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Items not yet read. */
  get size(): number {
    return this.items.length;
  }
  private wake: (() => void) | undefined;

  push(item: T): void {
    if (this.closed) return;
    const last = this.items.length > 0 ? this.items[this.items.length - 1] : undefined;
    const merged = last === undefined ? undefined : this.coalesce?.(last, item);
    if (merged !== undefined) this.items[this.items.length - 1] = merged;
    else this.items.push(item);
    this.notify();
  }

  close(): void {
    this.closed = true;
    this.notify();
  }

  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = { error };
    this.closed = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure.error;
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
